#include <zio/sync/select.hpp>

#include "support/runtime.hpp"

#include <atomic>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using zio::test::run_in_runtime;

TEST_CASE("select: fires the ready case and leaves the other untouched", "[sync][select]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [fired, got, other_size] = run_in_runtime(executors, [] {
    zio::Channel<int> a(4), b(4);
    b.send(7);
    int value = 0;
    std::size_t which = zio::select(zio::on_receive(a, [&](std::optional<int> v) { value = v.value_or(-1); }),
                                    zio::on_receive(b, [&](std::optional<int> v) { value = v.value_or(-1); }));
    return std::tuple{which, value, a.size() + b.size()};
  });
  CHECK(fired == 1);
  CHECK(got == 7);
  CHECK(other_size == 0);
}

TEST_CASE("select: the default case runs when nothing is ready, consuming nothing", "[sync][select]") {
  run_in_runtime(1, [] {
    zio::Channel<int> a(0), full(1);
    full.send(1);
    bool defaulted = false;
    auto which = zio::select(zio::on_receive(a, [](std::optional<int>) {}),
                             zio::on_send(full, 2, [] {}),
                             zio::on_default([&] { defaulted = true; }));
    CHECK(which == 2);
    CHECK(defaulted);
    CHECK(full.try_receive() == 1);
    CHECK_FALSE(full.try_receive());
  });
}

TEST_CASE("select: the timeout fires and the channel keeps later messages", "[sync][select]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [timed_out, elapsed, later] = run_in_runtime(executors, [] {
    zio::Channel<int> ch(1);
    bool fired = false;
    auto start = zio::Clock::now();
    zio::select(zio::on_receive(ch, [](std::optional<int>) {}), zio::on_timeout(15ms, [&] { fired = true; }));
    double ms = zio::test::ms_since(start);
    ch.send(5);
    return std::tuple{fired, ms, ch.try_receive()};
  });
  CHECK(timed_out);
  CHECK(elapsed >= 15);
  CHECK(later == 5);
}

TEST_CASE("select: a send case completes with its receiver", "[sync][select]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [which, received] = run_in_runtime(executors, [] {
    zio::Channel<std::string> out(0), never(0);
    auto receiver = zio::spawn([&] { return *out.receive(); });
    bool sent = false;
    auto w = zio::select(zio::on_receive(never, [](std::optional<std::string>) {}),
                         zio::on_send(out, std::string("over select"), [&] { sent = true; }));
    CHECK(sent);
    return std::pair{w, receiver.join()};
  });
  CHECK(which == 1);
  CHECK(received == "over select");
}

TEST_CASE("select: a closed channel's receive case fires with nothing", "[sync][select]") {
  run_in_runtime(1, [] {
    zio::Channel<int> closed(1), open(1);
    closed.close();
    bool empty = false;
    auto w = zio::select(zio::on_receive(open, [](std::optional<int>) {}),
                         zio::on_receive(closed, [&](std::optional<int> v) { empty = !v; }));
    CHECK(w == 1);
    CHECK(empty);
    CHECK_THROWS_AS(zio::select(zio::on_send(closed, 1, [] {})), zio::system_error);
  });
}

TEST_CASE("select: a cancelled select leaves no trace", "[sync][select]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors, .pin_fibers = true});
  auto [canceled, delivered] = rt.block_on([] {
    zio::Channel<int> a(0), b(0);
    std::atomic<bool> selecting{false};
    auto selector = zio::spawn([&] {
      selecting = true;
      zio::select(zio::on_receive(a, [](std::optional<int>) {}), zio::on_receive(b, [](std::optional<int>) {}));
    });
    zio::test::yield_until([&] { return selecting.load(); });
    zio::yield();  // pinned: it is waiting in both channels now
    selector.cancel();
    bool c = zio::test::ended_canceled(selector);
    auto receiver = zio::spawn([&] { return *a.receive(); });
    a.send(11);  // must reach the plain receiver, not the dead select
    return std::pair{c, receiver.join()};
  });
  CHECK(canceled);
  CHECK(delivered == 11);
}

TEST_CASE("select: every message is taken exactly once under contention", "[sync][select]") {
  const std::size_t executors = GENERATE(1, 4);
  constexpr int per_producer = 20000;
  auto [count, sum] = run_in_runtime(executors, [] {
    zio::Channel<long> a(8), b(0);
    std::vector<zio::JoinHandle<void>> producers;
    for (int p = 0; p < 4; ++p) {
      producers.push_back(zio::spawn([&, p] {
        auto& ch = p % 2 ? a : b;
        for (long i = 0; i < per_producer; ++i) ch.send(long{i});
      }));
    }
    std::atomic<long> total_count{0}, total_sum{0};
    std::vector<zio::JoinHandle<void>> consumers;
    for (int c = 0; c < 3; ++c) {
      consumers.push_back(zio::spawn([&] {
        bool a_open = true, b_open = true;
        while (a_open || b_open) {
          if (a_open && b_open) {
            zio::select(zio::on_receive(a, [&](std::optional<long> v) {
                          if (!v) a_open = false; else { ++total_count; total_sum += *v; }
                        }),
                        zio::on_receive(b, [&](std::optional<long> v) {
                          if (!v) b_open = false; else { ++total_count; total_sum += *v; }
                        }));
          } else {
            auto& ch = a_open ? a : b;
            auto v = ch.receive();
            if (!v) (a_open ? a_open : b_open) = false; else { ++total_count; total_sum += *v; }
          }
        }
      }));
    }
    for (auto& p : producers) p.join();
    a.close();
    b.close();
    for (auto& c : consumers) c.join();
    return std::pair{total_count.load(), total_sum.load()};
  });
  CHECK(count == 4L * per_producer);
  CHECK(sum == 4L * per_producer * (per_producer - 1) / 2);
}

TEST_CASE("select: ready cases are chosen fairly", "[sync][select]") {
  auto [first, second] = run_in_runtime(1, [] {
    zio::Channel<int> a(1), b(1);
    int fa = 0, fb = 0;
    for (int i = 0; i < 1000; ++i) {
      if (a.size() == 0) a.send(1);
      if (b.size() == 0) b.send(2);
      zio::select(zio::on_receive(a, [&](std::optional<int>) { ++fa; }), zio::on_receive(b, [&](std::optional<int>) { ++fb; }));
    }
    return std::pair{fa, fb};
  });
  CHECK(first > 100);
  CHECK(second > 100);
}

// Regression (issue 17, bug 4): select, receive_for/until and send_for/until spent no
// cooperative budget, so a fiber looping on them while they completed at once never let a
// ready fiber on its executor run (not within 200,000 calls). Each form must yield within
// two turns' budget, as receive() does.
TEST_CASE("select: every channel call that completes at once spends the cooperative budget", "[sync][select]") {
  const auto form = GENERATE(as<std::string>{}, "receive", "receive_for", "receive_until", "select", "select_default",
                             "send_for", "send_until", "select_send");
  const long calls = run_in_runtime(1, [&] {
    auto channel = zio::Channel<int>::make_unbounded();
    for (int i = 0; i < 100'000; ++i) channel->send(int{i});
    std::atomic<bool> other_ran{false};
    auto other = zio::spawn([&] { other_ran = true; });
    long n = 0;
    while (!other_ran.load() && n < 100'000) {
      ++n;
      if (form == "receive") {
        channel->receive();
      } else if (form == "receive_for") {
        channel->receive_for(1s);
      } else if (form == "receive_until") {
        channel->receive_until(zio::Clock::now() + 1s);
      } else if (form == "select") {
        zio::select(zio::on_receive(*channel, [](std::optional<int>) {}));
      } else if (form == "select_default") {
        zio::select(zio::on_receive(*channel, [](std::optional<int>) {}), zio::on_default([] {}));
      } else if (form == "send_for") {
        channel->send_for(1, 1s);
      } else if (form == "send_until") {
        channel->send_until(1, zio::Clock::now() + 1s);
      } else {
        zio::select(zio::on_send(*channel, 1, [] {}));
      }
    }
    other.join();
    return n;
  });
  INFO(form);
  CHECK(calls <= 2 * zio::detail::TaskBase::budget_per_turn);
}

// Regression (issue 17, bug 5): a select whose closed cases were always ready returned at
// once every time without ever yielding, so the producer on the live channel never ran (one
// executor) or stopped running (several). All 1,000 values must arrive.
TEST_CASE("select: a loop over closed channels does not starve the producer of a live one", "[sync][select]") {
  const std::size_t executors = GENERATE(1, 2, 4);
  const int received = run_in_runtime(executors, [] {
    zio::Channel<int> closed1(1), closed2(1), live(8);
    closed1.close();
    closed2.close();
    auto producer = zio::spawn([&] {
      try {
        for (int i = 0; i < 1000; ++i) live.send(int{i});
      } catch (const zio::system_error&) {
        // live closed by the consumer below when the test has already failed
      }
    });
    int got = 0;
    for (long spins = 0; got < 1000 && spins < 2'000'000; ++spins) {
      zio::select(zio::on_receive(closed1, [](std::optional<int>) {}),
                  zio::on_receive(closed2, [](std::optional<int>) {}),
                  zio::on_receive(live, [&](std::optional<int> v) { got += v.has_value(); }));
    }
    live.close();
    producer.join();
    return got;
  });
  CHECK(received == 1000);
}

// Go's nil channel: a case whose channel pointer is null never fires, so a loop can switch
// off each channel as it closes instead of selecting on it again and again.
TEST_CASE("select: a case on a null channel is switched off", "[sync][select]") {
  const std::size_t executors = GENERATE(1, 4);
  const auto [sum, selects] = run_in_runtime(executors, [] {
    zio::Channel<int> a(4), b(4);
    auto feed = [](zio::Channel<int>& channel, int from, int count) {
      return zio::spawn([&channel, from, count] {
        for (int i = from; i < from + count; ++i) channel.send(int{i});
        channel.close();
      });
    };
    auto fa = feed(a, 0, 100);
    auto fb = feed(b, 1000, 300);
    zio::Channel<int>* on_a = &a;
    zio::Channel<int>* on_b = &b;
    long sum = 0;
    int selects = 0;
    while (on_a || on_b) {
      ++selects;
      zio::select(zio::on_receive(on_a, [&](std::optional<int> v) { v ? void(sum += *v) : void(on_a = nullptr); }),
                  zio::on_receive(on_b, [&](std::optional<int> v) { v ? void(sum += *v) : void(on_b = nullptr); }));
    }
    fa.join();
    fb.join();
    return std::pair{sum, selects};
  });
  CHECK(sum == 99 * 100 / 2 + (1000 + 1299) * 300 / 2);
  CHECK(selects == 100 + 300 + 2);  // every value, and each close seen exactly once
}

TEST_CASE("select: with every case switched off only the timeout or default can fire", "[sync][select]") {
  run_in_runtime(1, [] {
    zio::Channel<int>* none = nullptr;
    int fired = -1;
    CHECK(zio::select(zio::on_receive(none, [&](std::optional<int>) { fired = 0; }),
                      zio::on_send(none, 5, [&] { fired = 1; }), zio::on_default([&] { fired = 2; })) == 2);
    CHECK(fired == 2);
    CHECK(zio::select(zio::on_receive(none, [&](std::optional<int>) { fired = 0; }),
                      zio::on_timeout(1ms, [&] { fired = 3; })) == 1);
    CHECK(fired == 3);
    // Without either it waits until cancelled, as Go's select on nil channels blocks forever.
    auto waiter = zio::spawn([&] { zio::select(zio::on_receive(none, [](std::optional<int>) {})); });
    zio::yield();
    waiter.cancel();
    CHECK(zio::test::ended_canceled(waiter));
  });
}
