#include <zio/sync/mutex.hpp>

#include "support/runtime.hpp"

#include <zio/sync/condition.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using zio::test::run_in_runtime;

TEST_CASE("Mutex: 64 fibers increment a shared counter exactly", "[sync][mutex]") {
  const std::size_t executors = GENERATE(1, 4);
  long counter = 0;  // deliberately not atomic: the mutex is the only protection
  run_in_runtime(executors, [&] {
    zio::Mutex mutex;
    std::vector<zio::JoinHandle<void>> fibers;
    for (int f = 0; f < 64; ++f) {
      fibers.push_back(zio::spawn([&] {
        for (int i = 0; i < 1000; ++i) {
          std::lock_guard guard(mutex);
          long seen = counter;
          if (i % 100 == 0) zio::yield();  // hold the lock across a switch now and then
          counter = seen + 1;
        }
      }));
    }
    for (auto& f : fibers) f.join();
  });
  CHECK(counter == 64 * 1000);
}

TEST_CASE("Mutex: fibers and plain threads share one mutex", "[sync][mutex]") {
  zio::Runtime rt({.executors = 2});
  zio::Mutex mutex;
  long counter = 0;
  auto fiber = rt.spawn([&] {
    for (int i = 0; i < 20000; ++i) {
      std::unique_lock guard(mutex);
      ++counter;
    }
  });
  std::thread thread([&] {
    for (int i = 0; i < 20000; ++i) {
      std::scoped_lock guard(mutex);
      ++counter;
    }
  });
  fiber.join();
  thread.join();
  CHECK(counter == 40000);
}

TEST_CASE("Mutex: try_lock and try_lock_for", "[sync][mutex]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [try_fails, timed_fails, waited_ms] = run_in_runtime(executors, [] {
    zio::Mutex mutex;
    mutex.lock();
    bool a = false, b = false;
    double waited = 0;
    auto other = zio::spawn([&] {
      a = !mutex.try_lock();
      auto start = zio::Clock::now();
      b = !mutex.try_lock_for(20ms);
      waited = zio::test::ms_since(start);
    });
    other.join();
    mutex.unlock();
    CHECK(mutex.try_lock());
    mutex.unlock();
    return std::tuple{a, b, waited};
  });
  CHECK(try_fails);
  CHECK(timed_fails);
  CHECK(waited_ms >= 20);
}

TEST_CASE("Mutex: a cancelled waiter neither takes nor loses the lock", "[sync][mutex]") {
  const std::size_t executors = GENERATE(1, 4);
  // Pinned: once `first` has counted itself, one yield later it is parked in the lock queue.
  zio::Runtime rt({.executors = executors, .pin_fibers = true});
  auto [cancel_seen, second_got_it, relockable] = rt.block_on([] {
    zio::Mutex mutex;
    mutex.lock();
    std::atomic<int> queued{0};
    auto first = zio::spawn([&] {
      queued.fetch_add(1);
      std::lock_guard guard(mutex);
    });
    zio::test::yield_until([&] { return queued.load() == 1; });
    std::atomic<bool> second_locked{false};
    auto second = zio::spawn([&] {
      std::lock_guard guard(mutex);
      second_locked = true;
    });
    first.cancel();
    bool canceled = zio::test::ended_canceled(first);
    mutex.unlock();  // hands over to `second`: the cancelled waiter must not be in the way
    second.join();
    bool again = mutex.try_lock();
    if (again) mutex.unlock();
    return std::tuple{canceled, second_locked.load(), again};
  });
  CHECK(cancel_seen);
  CHECK(second_got_it);
  CHECK(relockable);
}

TEST_CASE("Mutex: with_timeout interrupts a lock wait", "[sync][mutex]") {
  const std::size_t executors = GENERATE(1, 4);
  bool timed_out = run_in_runtime(executors, [] {
    zio::Mutex mutex;
    std::lock_guard held(mutex);
    try {
      zio::with_timeout(10ms, [&] { std::lock_guard guard(mutex); });
    } catch (const zio::TimedOut&) {
      return true;
    }
    return false;
  });
  CHECK(timed_out);
}

TEST_CASE("Condition: producer and consumer hand over values", "[sync][condition]") {
  const std::size_t executors = GENERATE(1, 4);
  long sum = run_in_runtime(executors, [] {
    zio::Mutex mutex;
    zio::Condition ready;
    std::vector<int> queue;
    bool done = false;
    auto consumer = zio::spawn([&] {
      long total = 0;
      std::unique_lock lock(mutex);
      for (;;) {
        ready.wait(lock, [&] { return !queue.empty() || done; });
        if (queue.empty()) return total;
        total += queue.back();
        queue.pop_back();
      }
    });
    for (int i = 1; i <= 1000; ++i) {
      {
        std::lock_guard lock(mutex);
        queue.push_back(i);
      }
      ready.notify_one();
      if (i % 50 == 0) zio::yield();
    }
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    ready.notify_all();
    return consumer.join();
  });
  CHECK(sum == 1000L * 1001 / 2);
}

TEST_CASE("Condition: wait_for times out and re-locks", "[sync][condition]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [status, owns, waited] = run_in_runtime(executors, [] {
    zio::Mutex mutex;
    zio::Condition never;
    std::unique_lock lock(mutex);
    auto start = zio::Clock::now();
    auto s = never.wait_for(lock, 15ms);
    return std::tuple{s, lock.owns_lock() && !mutex.try_lock(), zio::test::ms_since(start)};
  });
  CHECK(status == std::cv_status::timeout);
  CHECK(owns);
  CHECK(waited >= 15);
}

TEST_CASE("Condition: a cancelled wait re-locks before it throws", "[sync][condition]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [canceled, relocked] = run_in_runtime(executors, [] {
    zio::Mutex mutex;
    zio::Condition never;
    std::atomic<bool> waiting{false};
    bool locked_in_catch = false;
    auto waiter = zio::spawn([&] {
      std::unique_lock lock(mutex);
      waiting = true;
      try {
        never.wait(lock);
      } catch (const zio::Canceled&) {
        locked_in_catch = lock.owns_lock() && !mutex.try_lock();
        throw;
      }
    });
    zio::test::yield_until([&] { return waiting.load(); });
    // Take the mutex for a moment: the waiter has released it inside wait().
    { std::lock_guard probe(mutex); }
    waiter.cancel();
    bool c = zio::test::ended_canceled(waiter);
    return std::pair{c, locked_in_catch};
  });
  CHECK(canceled);
  CHECK(relocked);
}
