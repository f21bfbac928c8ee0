#include <zio/runtime/timeout.hpp>

#include "support/runtime.hpp"

#include <atomic>
#include <string>

using namespace std::chrono_literals;
using zio::test::ms_since;
using zio::test::run_in_runtime;

namespace {
// Joins and reports how the task ended.
template <typename T>
std::string outcome(zio::JoinHandle<T>& handle) {
  try {
    handle.join();
    return "returned";
  } catch (const zio::TimedOut&) {
    return "timed out";
  } catch (const zio::Canceled&) {
    return "canceled";
  } catch (const std::exception& e) {
    return e.what();
  }
}
}  // namespace

TEST_CASE("cancel: wakes a sleeping fiber promptly", "[runtime][cancel]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [result, elapsed] = run_in_runtime(executors, [] {
    auto sleeper = zio::spawn([] { zio::sleep_for(1h); });
    zio::yield();
    auto start = zio::Clock::now();
    sleeper.cancel();
    auto r = outcome(sleeper);
    return std::pair{r, ms_since(start)};
  });
  CHECK(result == "canceled");
  CHECK(elapsed < 1000);
}

TEST_CASE("cancel: unwinds the stack and runs destructors", "[runtime][cancel]") {
  const std::size_t executors = GENERATE(1, 4);
  std::atomic<int> destroyed{0};
  run_in_runtime(executors, [&] {
    struct Guard {
      std::atomic<int>* counter;
      ~Guard() { counter->fetch_add(1); }
    };
    std::atomic<bool> started{false};
    auto task = zio::spawn([&] {
      Guard outer{&destroyed};
      {
        Guard inner{&destroyed};
        started = true;
        zio::sleep_for(1h);
      }
    });
    zio::test::yield_until([&] { return started.load(); });
    task.cancel();
    CHECK(outcome(task) == "canceled");
  });
  CHECK(destroyed.load() == 2);
}

TEST_CASE("cancel: a fiber cancelled before it starts never runs", "[runtime][cancel]") {
  const std::size_t executors = GENERATE(1, 4);
  std::atomic<bool> ran{false};
  // Pinned, so no idle executor can steal and start it before the cancel.
  zio::Runtime rt({.executors = executors, .pin_fibers = true});
  auto result = rt.block_on([&] {
    auto task = zio::spawn([&] { ran = true; });
    task.cancel();  // no switch since spawn: it cannot have started
    return outcome(task);
  });
  CHECK(result == "canceled");
  CHECK_FALSE(ran.load());
}

TEST_CASE("cancel: one of several fibers waiting for a task leaves, the others still see it end",
          "[runtime][cancel]") {
  const std::size_t executors = GENERATE(1, 4);
  // Cancelling each position in turn: first, middle and last waiter to arrive.
  const int cancelled = GENERATE(0, 1, 2);
  auto outcomes = run_in_runtime(executors, [cancelled] {
    zio::Notify release;
    auto target = zio::spawn([&] { release.wait(); });
    std::atomic<int> waiting{0};
    std::vector<zio::JoinHandle<void>> waiters;
    for (int i = 0; i < 3; ++i) {
      waiters.push_back(zio::spawn([&] {
        ++waiting;
        target.wait();
      }));
      // One at a time, so they queue in a known order.
      zio::test::yield_until([&] { return waiting.load() == i + 1; });
      zio::yield();
    }
    waiters[std::size_t(cancelled)].cancel();
    std::vector<std::string> seen;
    seen.push_back(outcome(waiters[std::size_t(cancelled)]));
    release.notify_one();
    for (int i = 0; i < 3; ++i) {
      if (i != cancelled) seen.push_back(outcome(waiters[std::size_t(i)]));
    }
    return seen;
  });
  CHECK(outcomes == std::vector<std::string>{"canceled", "returned", "returned"});
}

TEST_CASE("cancel: a join is cancellable and leaves the joined task running", "[runtime][cancel]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [joiner_result, target_result] = run_in_runtime(executors, [] {
    std::atomic<bool> release{false};
    auto target = zio::spawn([&] {
      zio::test::yield_until([&] { return release.load(); });
      return 7;
    });
    auto joiner = zio::spawn([&] { return target.join(); });
    zio::yield();
    joiner.cancel();
    auto j = outcome(joiner);
    release = true;
    auto value = target.join();  // the handle is still valid after the cancelled join
    return std::pair{j, value};
  });
  CHECK(joiner_result == "canceled");
  CHECK(target_result == 7);
}

TEST_CASE("cancel: is sticky until the fiber ends", "[runtime][cancel]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [first, second] = run_in_runtime(executors, [] {
    std::string a, b;
    std::atomic<bool> started{false};
    auto task = zio::spawn([&] {
      started = true;
      try {
        zio::sleep_for(1h);
      } catch (const zio::Canceled&) {
        a = "first";
      }
      try {
        zio::yield();  // a swallowed cancel comes back at the next blocking call
      } catch (const zio::Canceled&) {
        b = "second";
      }
    });
    zio::test::yield_until([&] { return started.load(); });
    task.cancel();
    task.join();
    return std::pair{a, b};
  });
  CHECK(first == "first");
  CHECK(second == "second");
}

TEST_CASE("cancel: the error_code of a cancellation matches operation_canceled", "[runtime][cancel]") {
  zio::error_code ec = zio::make_error_code(zio::errc::canceled);
  CHECK(ec == boost::system::errc::operation_canceled);
  zio::error_code timeout = zio::make_error_code(zio::errc::timed_out);
  CHECK(timeout == boost::system::errc::timed_out);
  CHECK(timeout == boost::system::errc::operation_canceled);
  CHECK(ec.message() == "operation canceled");
}

TEST_CASE("with_timeout: fires and reports TimedOut", "[runtime][timeout]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [result, elapsed] = run_in_runtime(executors, [] {
    auto start = zio::Clock::now();
    std::string r;
    try {
      zio::with_timeout(20ms, [] { zio::sleep_for(1h); });
      r = "returned";
    } catch (const zio::TimedOut&) {
      r = "timed out";
    }
    return std::pair{r, ms_since(start)};
  });
  CHECK(result == "timed out");
  CHECK(elapsed >= 20);
  CHECK(elapsed < 1000);
}

TEST_CASE("with_timeout: returns the value when the work finishes first", "[runtime][timeout]") {
  const std::size_t executors = GENERATE(1, 4);
  auto value = run_in_runtime(executors, [] {
    int v = zio::with_timeout(1h, [] {
      zio::sleep_for(1ms);
      return 42;
    });
    zio::sleep_for(5ms);  // the scope is gone: no stray cancellation afterwards
    return v;
  });
  CHECK(value == 42);
}

TEST_CASE("with_timeout: nested, the inner deadline fires", "[runtime][timeout]") {
  const std::size_t executors = GENERATE(1, 4);
  auto result = run_in_runtime(executors, [] {
    return zio::with_timeout(1h, [] {
      try {
        zio::with_timeout(10ms, [] { zio::sleep_for(1h); });
      } catch (const zio::TimedOut&) {
        zio::sleep_for(1ms);  // the outer scope is still healthy
        return std::string("inner timed out");
      }
      return std::string("no timeout");
    });
  });
  CHECK(result == "inner timed out");
}

TEST_CASE("with_timeout: nested, the outer deadline fires", "[runtime][timeout]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [seen_inside, seen_outside] = run_in_runtime(executors, [] {
    std::string inside, outside;
    try {
      zio::with_timeout(10ms, [&] {
        try {
          zio::with_timeout(1h, [] { zio::sleep_for(1h); });
        } catch (const zio::TimedOut&) {
          inside = "TimedOut";
          throw;
        } catch (const zio::Canceled&) {
          inside = "Canceled";  // the outer deadline passes through the inner scope
          throw;
        }
      });
    } catch (const zio::TimedOut&) {
      outside = "TimedOut";
    }
    return std::pair{inside, outside};
  });
  CHECK(seen_inside == "Canceled");
  CHECK(seen_outside == "TimedOut");
}

TEST_CASE("with_timeout: an outside cancel is not reported as a timeout", "[runtime][timeout]") {
  const std::size_t executors = GENERATE(1, 4);
  auto result = run_in_runtime(executors, [] {
    auto task = zio::spawn([] { zio::with_timeout(1h, [] { zio::sleep_for(1h); }); });
    zio::yield();
    task.cancel();
    return outcome(task);
  });
  CHECK(result == "canceled");
}

TEST_CASE("Shield: defers cancellation until the scope ends", "[runtime][cancel]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [cleanup_done, result] = run_in_runtime(executors, [] {
    std::atomic<bool> in_shield{false}, cleaned{false};
    auto task = zio::spawn([&] {
      {
        zio::Shield shield;
        in_shield = true;
        zio::sleep_for(20ms);  // cancelled meanwhile, yet completes
        cleaned = true;
      }
      zio::sleep_for(1h);  // the pending cancel takes effect here
    });
    zio::test::yield_until([&] { return in_shield.load(); });
    task.cancel();
    auto r = outcome(task);
    return std::pair{cleaned.load(), r};
  });
  CHECK(cleanup_done);
  CHECK(result == "canceled");
}

TEST_CASE("cancel: the error_code overload of sleep reports instead of throwing", "[runtime][cancel]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [full, interrupted] = run_in_runtime(executors, [] {
    zio::error_code first;
    zio::sleep_for(1ms, first);
    zio::error_code second;
    std::atomic<bool> started{false};
    auto task = zio::spawn([&] {
      started = true;
      zio::sleep_for(1h, second);
    });
    zio::test::yield_until([&] { return started.load(); });
    task.cancel();
    task.join();  // returns normally: the fiber handled the error itself
    return std::pair{first, second};
  });
  CHECK_FALSE(full);
  CHECK(interrupted == zio::errc::canceled);
  CHECK(interrupted == boost::system::errc::operation_canceled);
  zio::error_code outside;
  zio::sleep_for(1ms, outside);
  CHECK(outside == zio::errc::not_in_fiber);
}
