#include <zio/runtime/this_task.hpp>

#include "support/runtime.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <mutex>
#include <vector>

using namespace std::chrono_literals;
using zio::test::ms_since;
using zio::test::run_in_runtime;

TEST_CASE("sleep: fibers wake in deadline order and never early", "[runtime][sleep]") {
  const std::size_t executors = GENERATE(1, 4);
  struct Wake {
    int delay_ms;
    double slept_ms;
  };
  // Pinned to the spawner's executor: the order is then the timer heap's. Unpinned fibers on
  // four executors wake in parallel, where "in order" only holds up to thread scheduling.
  zio::Runtime rt({.executors = executors, .pin_fibers = true});
  auto wakes = rt.block_on([] {
    std::mutex lock;
    std::vector<Wake> order;
    const std::vector<int> delays = {30, 5, 20, 1, 15, 10, 25, 3};
    std::vector<zio::JoinHandle<void>> handles;
    // One common start: a fiber that starts late (a loaded machine, sanitizers) must not
    // shift its own deadline and change the order under test.
    const auto start = zio::Clock::now();
    for (int delay : delays) {
      handles.push_back(zio::spawn([&, delay] {
        zio::sleep_until(start + std::chrono::milliseconds(delay));
        double slept = ms_since(start);
        std::lock_guard guard(lock);
        order.push_back({delay, slept});
      }));
    }
    for (auto& h : handles) h.join();
    return order;
  });
  REQUIRE(wakes.size() == 8);
  for (std::size_t i = 0; i < wakes.size(); ++i) {
    CHECK(wakes[i].slept_ms >= wakes[i].delay_ms);
    if (i > 0 && !zio::test::chaos_scheduling()) CHECK(wakes[i - 1].delay_ms < wakes[i].delay_ms);
  }
}

TEST_CASE("sleep: timers that expire in the same pass wake in deadline order", "[runtime][sleep]") {
  // The executor is kept busy past both deadlines, so one pass of its timer heap fires both.
  // A woken fiber normally takes the run-next slot; a timer wake must not, or the later
  // deadline would displace the earlier one and run first.
  zio::Runtime rt({.executors = 1});
  auto order = rt.block_on([] {
    std::vector<int> woke;
    const auto start = zio::Clock::now();
    auto first = zio::spawn([&] {
      zio::sleep_until(start + 1ms);
      woke.push_back(1);
    });
    auto second = zio::spawn([&] {
      zio::sleep_until(start + 2ms);
      woke.push_back(2);
    });
    zio::yield();  // both are asleep now: they started in spawn order
    while (zio::Clock::now() < start + 10ms) {
      // Busy on purpose, without a blocking call: the loop cannot fire timers meanwhile.
    }
    first.join();
    second.join();
    return woke;
  });
  if (zio::test::chaos_scheduling()) {
    CHECK(order.size() == 2);  // chaos fires timers due together in random order
  } else {
    CHECK(order == std::vector<int>{1, 2});
  }
}

TEST_CASE("sleep: sleep_until a past deadline returns at once", "[runtime][sleep]") {
  const std::size_t executors = GENERATE(1, 4);
  run_in_runtime(executors, [] {
    zio::sleep_until(zio::Clock::now() - 1s);
    zio::sleep_for(-5ms);
    zio::sleep_for(0ms);
  });
  SUCCEED("returned");
}

TEST_CASE("sleep: an idle runtime burns almost no CPU", "[runtime][sleep]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors});
  rt.block_on([] {});  // start-up costs stay out of the measurement
  auto cpu_seconds = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  };
  double before = cpu_seconds();
  auto start = zio::Clock::now();
  rt.block_on([] { zio::sleep_for(1s); });
  double wall = ms_since(start) / 1000.0;
  double used = cpu_seconds() - before;
  INFO("cpu " << used << " s over " << wall << " s");
  CHECK(wall >= 1.0);
  // Chaos cuts parks short on purpose (up to 1,000 wake-ups a second): then only "not
  // spinning" is checked.
  CHECK(used < (zio::test::chaos_scheduling() ? 0.5 : 0.05) * wall);
}

TEST_CASE("sleep: sleep_for of an enormous duration does not overflow", "[runtime][sleep]") {
  const std::size_t executors = GENERATE(1, 4);
  bool canceled = run_in_runtime(executors, [] {
    auto sleeper = zio::spawn([] { zio::sleep_for(std::chrono::hours::max()); });
    zio::yield();  // let it start sleeping
    sleeper.cancel();
    try {
      sleeper.join();
    } catch (const zio::Canceled&) {
      return true;
    }
    return false;
  });
  CHECK(canceled);
}
