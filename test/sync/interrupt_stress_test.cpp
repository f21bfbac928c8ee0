// Cancellation and timeouts of every kind of wait in the middle of contention; afterwards the
// primitive's invariants must hold: counters exact, permits back, locks free, no message lost.
#include <zio/sync.hpp>

#include "support/runtime.hpp"

#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <vector>

using namespace std::chrono_literals;
using zio::test::run_in_runtime;

namespace {

// A small per-fiber generator for timeouts between 0 and 300 microseconds.
struct Rng {
  std::uint32_t state;
  std::chrono::microseconds next_timeout() {
    state = state * 1664525u + 1013904223u;
    return std::chrono::microseconds((state >> 8) % 300);
  }
};

// Spawns `count` fibers running body(i) forever, and returns their handles for cancelling.
template <typename Body>
std::vector<zio::JoinHandle<void>> spawn_forever(int count, Body body) {
  std::vector<zio::JoinHandle<void>> handles;
  for (int i = 0; i < count; ++i) {
    handles.push_back(zio::spawn([body, i] {
      for (;;) body(i);
    }));
  }
  return handles;
}

int cancel_all(std::vector<zio::JoinHandle<void>>& handles) {
  for (auto& h : handles) h.cancel();
  int canceled = 0;
  for (auto& h : handles) {
    try {
      h.join();
    } catch (const zio::Canceled&) {
      ++canceled;
    }
  }
  return canceled;
}

}  // namespace

TEST_CASE("interrupts under contention: Mutex and RwLock stay consistent", "[sync][stress]") {
  const std::size_t executors = GENERATE(1, 4);
  struct Result {
    long counter, entries, violations;
    bool mutex_free, rw_free;
    int canceled;
  };
  auto r = run_in_runtime(executors, [] {
    zio::Mutex mutex;
    zio::RwLock rw;
    long counter = 0;  // guarded by mutex
    std::atomic<long> entries{0}, violations{0};
    std::atomic<int> readers{0};
    std::atomic<bool> writing{false};
    auto lockers = spawn_forever(16, [&](int i) {
      Rng rng{static_cast<std::uint32_t>(i) + 1};
      try {
        zio::with_timeout(rng.next_timeout(), [&] {
          std::lock_guard guard(mutex);
          ++counter;
          entries.fetch_add(1);
          zio::yield();
        });
      } catch (const zio::TimedOut&) {
      }
      std::unique_lock exclusive(rw, std::defer_lock);
      if (exclusive.try_lock_for(rng.next_timeout())) {
        writing = true;
        if (readers.load() != 0) violations.fetch_add(1);
        struct Clear {
          std::atomic<bool>& flag;
          ~Clear() { flag = false; }
        } clear{writing};
        zio::yield();  // a cancel here unwinds through the unique_lock: the lock is released
      }
    });
    auto readers_fibers = spawn_forever(8, [&](int i) {
      Rng rng{static_cast<std::uint32_t>(i) + 100};
      std::shared_lock shared(rw, std::defer_lock);
      if (shared.try_lock_for(rng.next_timeout())) {
        readers.fetch_add(1);
        if (writing.load()) violations.fetch_add(1);
        struct Leave {
          std::atomic<int>& n;
          ~Leave() { n.fetch_sub(1); }
        } leave{readers};
        zio::yield();
      }
    });
    zio::sleep_for(100ms);
    int canceled = cancel_all(lockers) + cancel_all(readers_fibers);
    bool mutex_free = mutex.try_lock();
    if (mutex_free) mutex.unlock();
    bool rw_free = rw.try_lock();
    if (rw_free) rw.unlock();
    return Result{counter, entries.load(), violations.load(), mutex_free, rw_free, canceled};
  });
  CHECK(r.counter == r.entries);
  CHECK(r.entries > 0);
  CHECK(r.violations == 0);
  CHECK(r.mutex_free);
  CHECK(r.rw_free);
  CHECK(r.canceled == 24);
}

TEST_CASE("interrupts under contention: Semaphore permits all come back", "[sync][stress]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [available, max_inside, canceled] = run_in_runtime(executors, [] {
    zio::Semaphore sem(3);
    std::atomic<int> inside{0}, peak{0};
    auto workers = spawn_forever(16, [&](int i) {
      Rng rng{static_cast<std::uint32_t>(i) + 7};
      if (!sem.try_acquire_for(rng.next_timeout())) return;
      int now = inside.fetch_add(1) + 1;
      int seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      zio::Shield shield;  // a cancel here must not leak the permit
      zio::yield();
      inside.fetch_sub(1);
      sem.release();
    });
    zio::sleep_for(100ms);
    int c = cancel_all(workers);
    return std::tuple{sem.available(), peak.load(), c};
  });
  CHECK(available == 3);
  CHECK(max_inside <= 3);
  CHECK(canceled == 16);
}

TEST_CASE("interrupts under contention: Channel loses and duplicates nothing", "[sync][stress]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [sent, received] = run_in_runtime(executors, [] {
    zio::Channel<long> ch(4);
    std::atomic<long> sent_sum{0}, received_sum{0};
    auto producers = spawn_forever(6, [&](int i) {
      Rng rng{static_cast<std::uint32_t>(i) + 31};
      long value = static_cast<long>(rng.state % 1000) + 1;
      if (ch.send_for(long{value}, rng.next_timeout())) sent_sum.fetch_add(value);
    });
    auto consumers = spawn_forever(6, [&](int i) {
      Rng rng{static_cast<std::uint32_t>(i) + 57};
      if (auto v = ch.receive_for(rng.next_timeout())) received_sum.fetch_add(*v);
    });
    zio::sleep_for(100ms);
    cancel_all(producers);
    cancel_all(consumers);
    ch.close();
    for (long v : ch) received_sum.fetch_add(v);  // what is still buffered
    return std::pair{sent_sum.load(), received_sum.load()};
  });
  CHECK(sent > 0);
  CHECK(sent == received);
}

TEST_CASE("Barrier: a timed arrival that expires is withdrawn", "[sync][barrier]") {
  run_in_runtime(1, [] {
    zio::Barrier barrier(2);
    CHECK_FALSE(barrier.arrive_and_wait_for(5ms).has_value());
    auto partner = zio::spawn([&] { return barrier.arrive_and_wait(); });
    zio::yield();  // one executor: the partner is waiting now (unless chaos made it yield first)
    auto leader = barrier.arrive_and_wait_for(1s);
    REQUIRE(leader.has_value());
    const bool partner_led = partner.join();
    CHECK(*leader != partner_led);  // one generation of two: the expired arrival was withdrawn
    if (!zio::test::chaos_scheduling()) CHECK(*leader);  // the last to arrive leads
  });
}

TEST_CASE("interrupts under contention: Condition, Notify, ResetEvent and select", "[sync][stress]") {
  const std::size_t executors = GENERATE(1, 4);
  struct Result {
    long produced, consumed, notified_waits;
    bool mutex_free;
    int canceled;
  };
  auto r = run_in_runtime(executors, [] {
    zio::Mutex mutex;
    zio::Condition nonempty;
    long queue = 0;  // guarded by mutex: items produced and not yet consumed
    std::atomic<long> produced{0}, consumed{0}, woken{0};
    zio::Notify notify;
    zio::ResetEvent never;
    zio::Channel<int> a(2), b(0);
    auto producers = spawn_forever(4, [&](int i) {
      Rng rng{static_cast<std::uint32_t>(i) + 3};
      {
        std::lock_guard guard(mutex);
        ++queue;
        produced.fetch_add(1);
      }
      nonempty.notify_one();
      notify.notify_one();
      // A select that often times out, on channels nobody else uses from this side.
      zio::select(zio::on_receive(a, [](std::optional<int>) {}), zio::on_receive(b, [](std::optional<int>) {}),
                  zio::on_timeout(rng.next_timeout(), [] {}));
    });
    auto consumers = spawn_forever(4, [&](int i) {
      Rng rng{static_cast<std::uint32_t>(i) + 11};
      {
        std::unique_lock lock(mutex);
        if (nonempty.wait_for(lock, rng.next_timeout(), [&] { return queue > 0; })) {
          --queue;
          consumed.fetch_add(1);
        }
      }
      if (notify.wait_for(rng.next_timeout())) woken.fetch_add(1);
      never.wait_for(rng.next_timeout());
    });
    zio::sleep_for(100ms);
    int canceled = cancel_all(producers) + cancel_all(consumers);
    long left;
    {
      std::lock_guard guard(mutex);
      left = queue;
    }
    bool free = mutex.try_lock();
    if (free) mutex.unlock();
    return Result{produced.load(), consumed.load() + left, woken.load(), free, canceled};
  });
  CHECK(r.produced > 0);
  CHECK(r.produced == r.consumed);  // every item produced was consumed or is still queued
  CHECK(r.notified_waits <= r.produced);
  CHECK(r.mutex_free);
  CHECK(r.canceled == 8);
}
