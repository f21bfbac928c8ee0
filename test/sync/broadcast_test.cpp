#include <zio/sync/broadcast_channel.hpp>

#include "support/runtime.hpp"

#include <atomic>
#include <string>
#include <vector>

using zio::test::run_in_runtime;

TEST_CASE("BroadcastChannel: every subscriber gets every later message in order", "[sync][broadcast]") {
  const std::size_t executors = GENERATE(1, 4);
  auto results = run_in_runtime(executors, [] {
    zio::BroadcastChannel<int> channel(16);
    channel.send(-1);  // before anyone subscribed: nobody sees it
    std::vector<zio::JoinHandle<std::vector<int>>> subscribers;
    std::atomic<int> ready{0};
    for (int s = 0; s < 3; ++s) {
      auto receiver = channel.subscribe();
      subscribers.push_back(zio::spawn([&ready](zio::BroadcastReceiver<int> r) {
        ready.fetch_add(1);
        std::vector<int> got;
        while (auto v = r.receive()) got.push_back(*v);
        return got;
      }, std::move(receiver)));
    }
    zio::test::yield_until([&] { return ready.load() == 3; });
    for (int i = 0; i < 10; ++i) {
      channel.send(int{i});
      zio::yield();  // keep within capacity only loosely: 16 slots are plenty for 10
    }
    channel.close();
    std::vector<std::vector<int>> all;
    for (auto& s : subscribers) all.push_back(s.join());
    return all;
  });
  const std::vector<int> expected = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (auto& got : results) CHECK(got == expected);
}

TEST_CASE("BroadcastChannel: a lagging receiver is told what it missed and goes on", "[sync][broadcast]") {
  run_in_runtime(1, [] {
    zio::BroadcastChannel<std::string> channel(4);
    auto slow = channel.subscribe();
    for (int i = 0; i < 10; ++i) channel.send(std::to_string(i));
    try {
      slow.receive();
      FAIL("no Lagged");
    } catch (const zio::Lagged& lag) {
      CHECK(lag.missed() == 6);
      CHECK(lag.code() == zio::errc::lagged);
    }
    std::vector<std::string> rest;
    channel.close();
    while (auto v = slow.receive()) rest.push_back(*v);
    CHECK(rest == std::vector<std::string>{"6", "7", "8", "9"});
    CHECK_THROWS_AS(channel.send("late"), zio::system_error);
  });
  CHECK_THROWS_AS(zio::BroadcastChannel<int>(0), std::invalid_argument);
}

TEST_CASE("BroadcastChannel: fast subscribers see everything while slow ones lag exactly", "[sync][broadcast]") {
  const std::size_t executors = GENERATE(1, 4);
  constexpr std::uint64_t messages = 20000;
  struct Tally {
    std::uint64_t received = 0, missed = 0, disorder = 0;
  };
  auto tallies = run_in_runtime(executors, [] {
    zio::BroadcastChannel<std::uint64_t> channel(64);
    zio::Channel<int> fast_ack(0);  // the sender waits for the fast ones: they never lag
    std::vector<zio::JoinHandle<Tally>> subscribers;
    for (int s = 0; s < 4; ++s) {
      const bool slow = s >= 2;
      subscribers.push_back(zio::spawn([&fast_ack, slow](zio::BroadcastReceiver<std::uint64_t> r) {
        Tally t;
        std::uint64_t expected = 0;
        for (;;) {
          try {
            auto v = r.receive();
            if (!v) break;
            if (*v != expected) ++t.disorder;
            expected = *v + 1;
            ++t.received;
            if (slow && t.received % 100 == 0) {
              for (int i = 0; i < 1000; ++i) zio::yield();  // fall behind on purpose
            }
            if (!slow) fast_ack.send(1);
          } catch (const zio::Lagged& lag) {
            t.missed += lag.missed();
            expected += lag.missed();
          }
        }
        return t;
      }, channel.subscribe()));
    }
    for (std::uint64_t i = 0; i < messages; ++i) {
      channel.send(std::uint64_t{i});
      fast_ack.receive();
      fast_ack.receive();
    }
    channel.close();
    std::vector<Tally> out;
    for (auto& s : subscribers) out.push_back(s.join());
    return out;
  });
  for (std::size_t s = 0; s < tallies.size(); ++s) {
    INFO("subscriber " << s);
    CHECK(tallies[s].disorder == 0);
    CHECK(tallies[s].received + tallies[s].missed == messages);
    if (s < 2) CHECK(tallies[s].missed == 0);
  }
  // The slow ones really fell behind (else this test proves nothing about lagging).
  CHECK(tallies[2].missed + tallies[3].missed > 0);
}
