#include <zio/sync/channel.hpp>

#include "support/runtime.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using zio::test::run_in_runtime;

TEST_CASE("Channel: buffered values come out in order", "[sync][channel]") {
  const std::size_t executors = GENERATE(1, 4);
  auto got = run_in_runtime(executors, [] {
    zio::Channel<int> ch(16);
    for (int i = 1; i <= 10; ++i) ch.send(i);
    CHECK(ch.size() == 10);
    std::vector<int> out;
    for (int i = 1; i <= 10; ++i) out.push_back(*ch.receive());
    CHECK_FALSE(ch.try_receive());
    return out;
  });
  CHECK(got == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

TEST_CASE("Channel: send waits while full", "[sync][channel]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [max_ahead, values] = run_in_runtime(executors, [] {
    zio::Channel<int> ch(2);
    std::atomic<int> sent{0}, received{0}, ahead{0};
    auto producer = zio::spawn([&] {
      for (int i = 0; i < 100; ++i) {
        ch.send(int{i});
        int lead = sent.fetch_add(1) + 1 - received.load();
        int seen = ahead.load();
        while (lead > seen && !ahead.compare_exchange_weak(seen, lead)) {
        }
      }
      ch.close();
    });
    std::vector<int> got;
    for (int v : ch) {
      got.push_back(v);
      received.fetch_add(1);
      zio::yield();
    }
    producer.join();
    return std::pair{ahead.load(), got};
  });
  CHECK(values.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(values[static_cast<std::size_t>(i)] == i);
  CHECK(max_ahead <= 3);  // two buffered, plus one handed over while the receiver counts it
}

TEST_CASE("Channel: a rendezvous send completes only with its receiver", "[sync][channel]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [try_alone, value, sender_done_before] = run_in_runtime(executors, [] {
    zio::Channel<std::string> ch(0);
    bool alone = ch.try_send(std::string("nobody listens"));
    std::atomic<bool> sender_done{false};
    auto sender = zio::spawn([&] {
      ch.send(std::string("hello"));
      sender_done = true;
    });
    for (int i = 0; i < 10; ++i) zio::yield();
    bool early = sender_done.load();
    auto v = ch.receive();
    sender.join();
    return std::tuple{alone, *v, early};
  });
  CHECK_FALSE(try_alone);
  CHECK(value == "hello");
  CHECK_FALSE(sender_done_before);
}

TEST_CASE("Channel: close wakes blocked receivers and senders; senders keep their value", "[sync][channel]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors, .pin_fibers = true});
  auto [receiver_empty, sender_error, value_kept] = rt.block_on([] {
    zio::Channel<std::unique_ptr<int>> empty(1), full(1);
    full.send(std::make_unique<int>(1));
    std::atomic<int> waiting{0};
    auto receiver = zio::spawn([&] {
      waiting.fetch_add(1);
      return empty.receive().has_value();
    });
    zio::error_code ec;
    bool kept = false;
    auto sender = zio::spawn([&] {
      auto value = std::make_unique<int>(2);
      waiting.fetch_add(1);
      full.send(std::move(value), ec);
      kept = value != nullptr && *value == 2;
    });
    zio::test::yield_until([&] { return waiting.load() == 2; });
    zio::yield();  // pinned: both are waiting now
    empty.close();
    full.close();
    bool got = receiver.join();
    sender.join();
    return std::tuple{!got, ec, kept};
  });
  CHECK(receiver_empty);
  CHECK(sender_error == zio::errc::closed);
  CHECK(value_kept);
}

TEST_CASE("Channel: sending on a closed channel is a clear error; buffered values still drain", "[sync][channel]") {
  run_in_runtime(1, [] {
    zio::Channel<int> ch(4);
    ch.send(7);
    ch.close();
    CHECK(ch.is_closed());
    CHECK_THROWS_WITH(ch.send(8), Catch::Matchers::Contains("zio::Channel::send"));
    try {
      ch.send(8);
    } catch (const zio::system_error& e) {
      CHECK(e.code() == zio::errc::closed);
    }
    CHECK_FALSE(ch.try_send(9));
    CHECK(ch.receive() == 7);
    CHECK_FALSE(ch.receive().has_value());
  });
}

TEST_CASE("Channel: unbounded sends never wait", "[sync][channel]") {
  const std::size_t executors = GENERATE(1, 4);
  long sum = run_in_runtime(executors, [] {
    auto ch = zio::Channel<long>::make_unbounded();
    for (long i = 0; i < 100000; ++i) ch->send(long{i});
    ch->close();
    long total = 0;
    for (long v : *ch) total += v;
    return total;
  });
  CHECK(sum == 100000L * 99999 / 2);
}

TEST_CASE("Channel: a cancelled receiver does not swallow a message", "[sync][channel]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors, .pin_fibers = true});
  auto [first_canceled, second_got] = rt.block_on([] {
    zio::Channel<int> ch(0);
    std::atomic<int> waiting{0};
    auto first = zio::spawn([&] { waiting.fetch_add(1); return ch.receive(); });
    auto second = zio::spawn([&] { waiting.fetch_add(1); return ch.receive(); });
    zio::test::yield_until([&] { return waiting.load() == 2; });
    zio::yield();
    first.cancel();
    bool canceled = zio::test::ended_canceled(first);
    ch.send(42);
    return std::pair{canceled, second.join()};
  });
  CHECK(first_canceled);
  CHECK(second_got == 42);
}

TEST_CASE("Channel: a plain thread and a fiber talk through a channel", "[sync][channel]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors});
  zio::Channel<int> requests(0), replies(0);
  int wrong = 0;  // checked after join: Catch2's assertions are not thread-safe
  std::thread client([&] {
    for (int i = 0; i < 200; ++i) {
      requests.send(int{i});
      wrong += replies.receive() != i * 2;
    }
    requests.close();
  });
  rt.block_on([&] {
    for (int v : requests) replies.send(v * 2);
  });
  client.join();
  CHECK(wrong == 0);
}

namespace {
// Producers send (producer << 32 | sequence); every consumer checks that each producer's
// numbers reach it in increasing order, and the totals check that each arrives exactly once.
void accounting_stress(zio::Channel<std::uint64_t>& ch, int producers, int consumers, std::uint64_t per_producer) {
  zio::Runtime rt({.executors = 4});
  struct Tally {
    std::uint64_t count = 0, sum = 0, out_of_order = 0;
  };
  std::vector<Tally> tallies(static_cast<std::size_t>(consumers));
  rt.block_on([&] {
    std::vector<zio::JoinHandle<void>> fibers;
    for (int c = 0; c < consumers; ++c) {
      fibers.push_back(zio::spawn([&, c] {
        Tally& t = tallies[static_cast<std::size_t>(c)];
        std::vector<std::int64_t> last(static_cast<std::size_t>(producers), -1);
        for (std::uint64_t m : ch) {
          auto p = static_cast<std::size_t>(m >> 32);
          auto seq = static_cast<std::int64_t>(m & 0xffffffff);
          if (seq <= last[p]) ++t.out_of_order;
          last[p] = seq;
          ++t.count;
          t.sum += m & 0xffffffff;
        }
      }));
    }
    std::vector<zio::JoinHandle<void>> senders;
    for (int p = 0; p < producers; ++p) {
      senders.push_back(zio::spawn([&, p] {
        for (std::uint64_t i = 0; i < per_producer; ++i) ch.send((std::uint64_t(p) << 32) | i);
      }));
    }
    for (auto& s : senders) s.join();
    ch.close();
    for (auto& f : fibers) f.join();
  });
  std::uint64_t count = 0, sum = 0, disorder = 0;
  for (auto& t : tallies) {
    count += t.count;
    sum += t.sum;
    disorder += t.out_of_order;
  }
  CHECK(count == per_producer * std::uint64_t(producers));
  CHECK(sum == std::uint64_t(producers) * per_producer * (per_producer - 1) / 2);
  CHECK(disorder == 0);
}
}  // namespace

TEST_CASE("Channel: 8 producers and 8 consumers move 1,000,000 messages exactly once, in order per producer",
          "[sync][channel]") {
  constexpr std::uint64_t per_producer = 125'000;
  SECTION("bounded") {
    zio::Channel<std::uint64_t> ch(64);
    accounting_stress(ch, 8, 8, per_producer);
  }
  SECTION("rendezvous") {
    zio::Channel<std::uint64_t> ch(0);
    accounting_stress(ch, 8, 8, per_producer);
  }
  SECTION("unbounded") {
    auto ch = zio::Channel<std::uint64_t>::make_unbounded();
    accounting_stress(*ch, 8, 8, per_producer);
  }
}
