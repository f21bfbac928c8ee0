#include <zio/runtime/spawn.hpp>

#include "support/runtime.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using zio::test::run_in_runtime;

TEST_CASE("spawn: join returns the fiber's value", "[runtime][spawn]") {
  const std::size_t executors = GENERATE(1, 4);
  int result = run_in_runtime(executors, [] {
    auto handle = zio::spawn([](int a, int b) { return a * b; }, 6, 7);
    return handle.join();
  });
  CHECK(result == 42);
}

TEST_CASE("spawn: move-only results and arguments pass through", "[runtime][spawn]") {
  const std::size_t executors = GENERATE(1, 4);
  auto value = run_in_runtime(executors, [] {
    auto input = std::make_unique<int>(5);
    auto handle = zio::spawn([](std::unique_ptr<int> p) { return std::make_unique<std::string>(std::to_string(*p * 2)); },
                             std::move(input));
    return handle.join();
  });
  REQUIRE(value);
  CHECK(*value == "10");
}

TEST_CASE("spawn: join rethrows the fiber's exception", "[runtime][spawn]") {
  const std::size_t executors = GENERATE(1, 4);
  std::string message = run_in_runtime(executors, [] {
    auto handle = zio::spawn([]() -> int { throw std::runtime_error("boom in fiber"); });
    try {
      handle.join();
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  });
  CHECK(message == "boom in fiber");
}

TEST_CASE("spawn: block_on rethrows the root's exception", "[runtime][spawn]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors});
  CHECK_THROWS_WITH(rt.block_on([] { throw std::invalid_argument("root failed"); }), "root failed");
  // The runtime stays usable.
  CHECK(rt.block_on([] { return 3; }) == 3);
}

TEST_CASE("spawn: 100,000 fibers are spawned and joined", "[runtime][spawn]") {
  const std::size_t executors = GENERATE(1, 4);
  constexpr int count = 100'000;
  std::atomic<long> sum{0};
  long joined = run_in_runtime(executors, [&] {
    std::vector<zio::JoinHandle<int>> handles;
    handles.reserve(count);
    for (int i = 0; i < count; ++i) {
      handles.push_back(zio::spawn([&sum, i] {
        sum.fetch_add(i, std::memory_order_relaxed);
        return i;
      }));
    }
    long total = 0;
    for (auto& h : handles) total += h.join();
    return total;
  });
  const long expected = long{count} * (count - 1) / 2;
  CHECK(joined == expected);
  CHECK(sum.load() == expected);
}

TEST_CASE("spawn: task ids are unique and visible inside the fiber", "[runtime][spawn]") {
  const std::size_t executors = GENERATE(1, 4);
  auto ids = run_in_runtime(executors, [] {
    auto root = zio::current_task_id();
    auto handle = zio::spawn([] { return zio::current_task_id(); });
    auto handle_id = handle.id();
    auto inner = handle.join();
    return std::vector<zio::TaskId>{root, handle_id, inner};
  });
  CHECK(ids[0] != 0);
  CHECK(ids[1] == ids[2]);
  CHECK(ids[0] != ids[1]);
  CHECK(zio::current_task_id() == 0);
  CHECK_FALSE(zio::in_fiber());
}

TEST_CASE("spawn: yield interleaves ready fibers in turn", "[runtime][spawn]") {
  const std::size_t executors = GENERATE(1, 4);
  // Pinned: with migration the two would run in parallel on different executors.
  zio::Runtime rt({.executors = executors, .pin_fibers = true});
  auto order = rt.block_on([] {
    // Both children are spawned from this fiber, so they share its executor's queue.
    std::vector<char> seen;
    auto worker = [&seen](char name) {
      for (int i = 0; i < 4; ++i) {
        seen.push_back(name);
        zio::yield();
      }
    };
    auto a = zio::spawn(worker, 'a');
    auto b = zio::spawn(worker, 'b');
    a.join();
    b.join();
    return std::string(seen.begin(), seen.end());
  });
  CHECK(order == "abababab");
}

TEST_CASE("spawn: a dropped handle detaches and the fiber still runs", "[runtime][spawn]") {
  const std::size_t executors = GENERATE(1, 4);
  std::atomic<int> ran{0};
  run_in_runtime(executors, [&] {
    { auto dropped = zio::spawn([&] { ran.fetch_add(1); }); }
    zio::spawn([&] { ran.fetch_add(1); }).detach();
    zio::test::yield_until([&] { return ran.load() == 2; });
  });
  CHECK(ran.load() == 2);
}

TEST_CASE("spawn: Runtime::spawn and join work from plain threads", "[runtime][spawn]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors});
  // A root fiber keeps the single-executor runtime driven while the main thread joins.
  auto gate = rt.spawn([] { zio::sleep_for(std::chrono::hours(1)); });
  std::thread driver([&] {
    rt.block_on([&] {
      try {
        gate.wait();
      } catch (...) {
      }
    });
  });
  std::vector<std::thread> threads;
  std::atomic<int> total{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&rt, &total, t] {
      for (int i = 0; i < 100; ++i) {
        total += rt.spawn([](int x) { return x; }, t * 1000 + i).join();
      }
    });
  }
  for (auto& th : threads) th.join();
  gate.cancel();
  driver.join();
  int expected = 0;
  for (int t = 0; t < 4; ++t)
    for (int i = 0; i < 100; ++i) expected += t * 1000 + i;
  CHECK(total.load() == expected);
}
