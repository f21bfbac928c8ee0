#include <zio/sync.hpp>

#include "support/runtime.hpp"

#include <atomic>
#include <shared_mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using zio::test::run_in_runtime;

using zio::test::ended_canceled;

TEST_CASE("Semaphore: never more holders than permits", "[sync][semaphore]") {
  const std::size_t executors = GENERATE(1, 4);
  int peak = run_in_runtime(executors, [] {
    zio::Semaphore permits(3);
    std::atomic<int> inside{0}, max_inside{0};
    std::vector<zio::JoinHandle<void>> fibers;
    for (int f = 0; f < 20; ++f) {
      fibers.push_back(zio::spawn([&] {
        for (int i = 0; i < 20; ++i) {
          permits.acquire();
          int now = inside.fetch_add(1) + 1;
          int seen = max_inside.load();
          while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
          }
          zio::yield();
          inside.fetch_sub(1);
          permits.release();
        }
      }));
    }
    for (auto& f : fibers) f.join();
    CHECK(permits.available() == 3);
    return max_inside.load();
  });
  CHECK(peak >= 1);
  CHECK(peak <= 3);
}

TEST_CASE("Semaphore: try and timed acquire; a cancelled waiter takes no permit", "[sync][semaphore]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors, .pin_fibers = true});
  auto [try_empty, timed_empty, canceled, left] = rt.block_on([] {
    zio::Semaphore sem(0);
    bool a = !sem.try_acquire();
    bool b = !sem.try_acquire_for(5ms);
    std::atomic<bool> started{false};
    auto waiter = zio::spawn([&] {
      started = true;
      sem.acquire();
    });
    zio::test::yield_until([&] { return started.load(); });
    zio::yield();  // pinned: now it is queued
    waiter.cancel();
    bool c = ended_canceled(waiter);
    sem.release(2);
    return std::tuple{a, b, c, sem.available()};
  });
  CHECK(try_empty);
  CHECK(timed_empty);
  CHECK(canceled);
  CHECK(left == 2);
}

TEST_CASE("ResetEvent: set wakes every waiter, fiber or thread, until reset", "[sync][reset_event]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors});
  zio::ResetEvent event;
  std::atomic<int> woken{0};
  std::vector<zio::JoinHandle<void>> fibers;
  for (int i = 0; i < 10; ++i) fibers.push_back(rt.spawn([&] { event.wait(); woken.fetch_add(1); }));
  std::thread thread([&] { event.wait(); woken.fetch_add(1); });
  auto driver = std::thread([&] {
    if (executors == 1) rt.block_on([&] { for (auto& f : fibers) f.wait(); });
  });
  CHECK_FALSE(event.is_set());
  event.set();
  thread.join();
  driver.join();
  for (auto& f : fibers) f.join();
  CHECK(woken.load() == 11);
  CHECK(event.is_set());
  bool after_reset = rt.block_on([&] {
    CHECK(event.wait_for(1ms));  // still set: returns at once
    event.reset();
    return event.wait_for(5ms);
  });
  CHECK_FALSE(after_reset);
}

TEST_CASE("Notify: a permit is stored for one later wait; notify_all stores none", "[sync][notify]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [stored, second, after_all] = run_in_runtime(executors, [] {
    zio::Notify notify;
    notify.notify_one();  // nobody waits: stored
    bool a = notify.wait_for(1ms);
    bool b = notify.wait_for(5ms);  // the permit was used up
    notify.notify_all();            // nobody waits: nothing stored
    bool c = notify.wait_for(5ms);
    return std::tuple{a, b, c};
  });
  CHECK(stored);
  CHECK_FALSE(second);
  CHECK_FALSE(after_all);
}

TEST_CASE("Notify: a cancelled waiter does not swallow the notification", "[sync][notify]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors, .pin_fibers = true});
  bool second_woken = rt.block_on([] {
    zio::Notify notify;
    std::atomic<int> waiting{0};
    auto first = zio::spawn([&] { waiting.fetch_add(1); notify.wait(); });
    auto second = zio::spawn([&] { waiting.fetch_add(1); notify.wait(); });
    zio::test::yield_until([&] { return waiting.load() == 2; });
    zio::yield();  // pinned: both are queued now
    first.cancel();
    CHECK(ended_canceled(first));
    notify.notify_one();  // must reach `second`
    second.join();
    return true;
  });
  CHECK(second_woken);
}

TEST_CASE("Barrier: each round releases all parties with exactly one leader", "[sync][barrier]") {
  const std::size_t executors = GENERATE(1, 4);
  auto leaders = run_in_runtime(executors, [] {
    constexpr int parties = 5, rounds = 4;
    zio::Barrier barrier(parties);
    std::atomic<int> leader_count{0}, passed{0}, early{0};
    std::vector<zio::JoinHandle<void>> fibers;
    for (int p = 0; p < parties; ++p) {
      fibers.push_back(zio::spawn([&] {
        for (int r = 0; r < rounds; ++r) {
          passed.fetch_add(1);
          if (barrier.arrive_and_wait()) leader_count.fetch_add(1);
          // Nobody gets past round r before all parties arrived in it.
          if (passed.load() < (r + 1) * parties) early.fetch_add(1);
        }
      }));
    }
    for (auto& f : fibers) f.join();
    return std::pair{leader_count.load(), early.load()};
  });
  CHECK(leaders.first == 4);
  CHECK(leaders.second == 0);
  CHECK_THROWS_AS(zio::Barrier(0), std::invalid_argument);
}

TEST_CASE("Barrier: a cancelled party withdraws its arrival", "[sync][barrier]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors, .pin_fibers = true});
  bool completed = rt.block_on([] {
    zio::Barrier barrier(2);
    std::atomic<bool> arrived{false};
    auto quitter = zio::spawn([&] { arrived = true; barrier.arrive_and_wait(); });
    zio::test::yield_until([&] { return arrived.load(); });
    zio::yield();
    quitter.cancel();
    CHECK(ended_canceled(quitter));
    // Two fresh parties are needed again: the withdrawn arrival does not count.
    std::atomic<bool> partner_done{false};
    auto partner = zio::spawn([&] { barrier.arrive_and_wait(); partner_done = true; });
    zio::yield();
    zio::yield();
    CHECK_FALSE(partner_done.load());
    barrier.arrive_and_wait();
    partner.join();
    return partner_done.load();
  });
  CHECK(completed);
}

TEST_CASE("RwLock: readers share, writers exclude", "[sync][rw_lock]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [max_readers, violations, value] = run_in_runtime(executors, [] {
    zio::RwLock lock;
    std::atomic<int> readers{0}, max_seen{0}, bad{0};
    std::atomic<bool> writing{false};
    long shared_value = 0;
    std::vector<zio::JoinHandle<void>> fibers;
    for (int f = 0; f < 8; ++f) {
      fibers.push_back(zio::spawn([&, f] {
        for (int i = 0; i < 200; ++i) {
          if ((f + i) % 5 == 0) {
            std::unique_lock guard(lock);
            writing = true;
            if (readers.load() != 0) bad.fetch_add(1);
            ++shared_value;
            zio::yield();
            writing = false;
          } else {
            std::shared_lock guard(lock);
            int now = readers.fetch_add(1) + 1;
            int seen = max_seen.load();
            while (now > seen && !max_seen.compare_exchange_weak(seen, now)) {
            }
            if (writing.load()) bad.fetch_add(1);
            zio::yield();
            readers.fetch_sub(1);
          }
        }
      }));
    }
    for (auto& f : fibers) f.join();
    return std::tuple{max_seen.load(), bad.load(), shared_value};
  });
  CHECK(max_readers >= 2);
  CHECK(violations == 0);
  CHECK(value == 8 * 200 / 5);
}

TEST_CASE("RwLock: a waiting writer is not starved by a stream of readers", "[sync][rw_lock]") {
  const std::size_t executors = GENERATE(1, 4);
  bool writer_got_in = run_in_runtime(executors, [] {
    zio::RwLock lock;
    std::atomic<bool> stop{false}, wrote{false};
    std::vector<zio::JoinHandle<void>> readers;
    for (int r = 0; r < 4; ++r) {
      readers.push_back(zio::spawn([&] {
        while (!stop.load()) {
          std::shared_lock guard(lock);
          zio::yield();
        }
      }));
    }
    zio::yield();
    auto writer = zio::spawn([&] {
      std::unique_lock guard(lock);
      wrote = true;
    });
    writer.join();  // returns only if readers let the writer through
    stop = true;
    for (auto& r : readers) r.join();
    return wrote.load();
  });
  CHECK(writer_got_in);
}

TEST_CASE("primitives: plain threads and fibers wait on the same objects", "[sync][threads]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors});
  zio::Mutex mutex;
  zio::Condition cond;
  zio::Semaphore sem(0);
  zio::Notify notify;
  zio::Barrier barrier(2);
  zio::RwLock rw;
  bool flag = false;  // guarded by mutex
  std::atomic<int> thread_steps{0};

  // The thread waits on each primitive in turn; the fiber releases it each time.
  std::thread thread([&] {
    {
      std::unique_lock lock(mutex);
      cond.wait(lock, [&] { return flag; });
    }
    ++thread_steps;
    sem.acquire();
    ++thread_steps;
    notify.wait();
    ++thread_steps;
    barrier.arrive_and_wait();
    ++thread_steps;
    std::shared_lock reader(rw);  // the fiber holds the write lock until it sees step 4
    ++thread_steps;
  });
  rt.block_on([&] {
    std::unique_lock writer(rw);
    {
      std::lock_guard lock(mutex);
      flag = true;
    }
    cond.notify_all();
    zio::test::yield_until([&] { return thread_steps.load() == 1; });
    sem.release();
    zio::test::yield_until([&] { return thread_steps.load() == 2; });
    notify.notify_one();
    zio::test::yield_until([&] { return thread_steps.load() == 3; });
    barrier.arrive_and_wait();  // meets the thread
    zio::test::yield_until([&] { return thread_steps.load() == 4; });
    writer.unlock();
  });
  thread.join();
  CHECK(thread_steps.load() == 5);
}
