// The code samples of docs/sync.md, run as tests (see runtime_samples.cpp for how the
// regions reach the guide).
#include <catch2/catch.hpp>
#include <zio/zio.hpp>

#include <deque>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("docs/sync: mutex and condition") {
  zio::Runtime rt({.executors = 2});
  std::deque<int> queue;
  rt.block_on([&] {
    zio::Mutex mutex;
    zio::Condition ready;
    auto producer = zio::spawn([&] {
      std::unique_lock lock(mutex);
      queue.push_back(1);
      ready.notify_one();
    });
    {
      // [sample: condition]
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return !queue.empty(); });
      // [end sample]
      CHECK(queue.front() == 1);
    }
    producer.join();
  });
}

TEST_CASE("docs/sync: channels") {
  zio::Runtime rt({.executors = 2});
  std::vector<std::string> seen;
  rt.block_on([&] {
    // [sample: channel]
    zio::Channel<std::string> ch(16);                 // bounded; 0 = rendezvous (Go's unbuffered)
    auto unbounded = zio::Channel<int>::make_unbounded();   // a unique_ptr

    auto consumer = zio::spawn([&] {
      for (auto& msg : ch) seen.push_back(msg);       // until closed and drained
    });
    ch.send(std::string("hi"));                       // waits while full
    ch.send(std::string("there"));
    ch.close();                                       // wakes everyone
    consumer.join();

    unbounded->send(7);                               // never waits
    std::optional<int> v = unbounded->receive();      // waits while empty; empty = closed and drained
    // [end sample]
    CHECK(v == 7);
  });
  CHECK(seen == std::vector<std::string>{"hi", "there"});
}

TEST_CASE("docs/sync: broadcast") {
  zio::Runtime rt({.executors = 1});
  std::vector<int> handled;
  std::uint64_t dropped = 0;
  auto handle = [&](int e) { handled.push_back(e); };
  rt.block_on([&] {
    // [sample: broadcast]
    zio::BroadcastChannel<int> events(64);   // keeps the last 64
    auto rx = events.subscribe();             // sees what is sent from now on
    for (int e = 0; e < 100; ++e) events.send(e);   // never waits
    events.close();
    for (;;) {
      try {
        auto e = rx.receive();
        if (!e) break;                        // closed and drained
        handle(*e);
      } catch (const zio::Lagged& lag) {
        // fell more than 64 behind: lag.missed() were dropped; rx goes on from the oldest kept
        dropped += lag.missed();
      }
    }
    // [end sample]
  });
  CHECK(dropped == 36);
  REQUIRE(handled.size() == 64);
  CHECK(handled.front() == 36);
  CHECK(handled.back() == 99);
}

TEST_CASE("docs/sync: select") {
  zio::Runtime rt({.executors = 1});
  rt.block_on([] {
    zio::Channel<int> requests(1);
    zio::Channel<int> replies(0);  // nobody receives: the send case never fires
    int reply = 1;
    requests.send(5);
    std::optional<int> got;
    bool timed_out = false;
    // [sample: select]
    std::size_t fired = zio::select(
        zio::on_receive(requests, [&](std::optional<int> r) { got = r; }),   // empty: closed
        zio::on_send(replies, reply, [&] { /* the reply was taken */ }),
        zio::on_timeout(100ms, [&] { timed_out = true; }));   // or zio::on_default(...)
    // [end sample]
    CHECK(fired == 0);
    CHECK(got == 5);
    CHECK_FALSE(timed_out);
    CHECK(replies.try_receive() == std::nullopt);
  });
}
