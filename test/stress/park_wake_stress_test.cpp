// The park / wake / notified state machine on its own (issue 17): a fiber parks until a
// flag is set, while a plain thread and a fiber (on another executor when there are two)
// set flags and wake it, with stray wake-ups before each real one. With forced
// interleavings, a lost wake-up leaves the parker asleep (the watchdog then fails the round);
// a task resumed twice, or resumed while still parking, trips the invariant checks.
#include "stress/interleave_support.hpp"

#include <zio/detail/task.hpp>
#include <zio/zio.hpp>

#include <thread>

using namespace std::chrono_literals;

TEST_CASE("stress: park and wake lose no wake-up and resume no task twice", "[stress][park_wake]") {
  constexpr int cycles = 200;  // parks per round
  const std::size_t executors = GENERATE(1, 2);
  for (std::uint64_t seed : zio::test::stress_seeds(200)) {
    zio::test::Forcing forcing(seed);
    zio::Runtime rt({.executors = executors});
    std::atomic<zio::detail::TaskBase*> parker{nullptr};
    std::atomic<int> flag{-1};      // the cycle that may end: set by a waker before wake()
    std::atomic<int> finished{-1};  // the last cycle the parker saw end
    bool stalled = false;

    // Wakes the cycles of one parity (even: the plain thread, odd: the fiber), each after a
    // few stray wake-ups that must cause nothing but spurious returns from park.
    auto wake_turn = [&](int parity, std::uint64_t& rng) {
      const int next = finished.load() + 1;
      if (next >= cycles) return false;
      if (next % 2 == parity && flag.load() < next) {
        for (rng = rng * 6364136223846793005ull + 1442695040888963407ull; (rng >> 62) != 0; rng >>= 2) {
          parker.load()->wake();
        }
        flag.store(next);
        parker.load()->wake();
      }
      return true;
    };
    std::thread thread_waker;
    zio::JoinHandle<void> park_loop;  // outlives the wakers: they may still wake a finished task
    rt.block_on([&] {
      park_loop = zio::spawn_on(0, [&] {
        zio::detail::TaskBase* self = zio::detail::TaskBase::current();
        parker = self;
        for (int cycle = 0; cycle < cycles; ++cycle) {
          while (flag.load() < cycle) self->park(nullptr);
          finished.store(cycle);
          finished.notify_all();
        }
      });
      auto fiber_waker = zio::spawn_on(executors - 1, [&] {
        while (!parker.load()) zio::yield();
        std::uint64_t rng = seed;
        while (wake_turn(1, rng)) zio::yield();
      });
      thread_waker = std::thread([&] {
        while (!parker.load()) std::this_thread::yield();
        std::uint64_t rng = ~seed;
        for (int seen = finished.load(); wake_turn(0, rng); seen = finished.load()) {
          finished.wait(seen);  // until the parker moves on: this thread never spins
        }
      });
      try {
        zio::with_timeout(60s, [&] { park_loop.wait(); });  // only a watchdog
      } catch (const zio::TimedOut&) {
        stalled = true;
        flag.store(cycles);  // let the parker finish so the round can end
        parker.load()->wake();
        park_loop.wait();
      }
      fiber_waker.join();
    });
    thread_waker.join();
    INFO("seed " << seed << " (replay: ZIO_STRESS_SEED=" << seed << "), executors " << executors);
    REQUIRE_FALSE(stalled);
    REQUIRE(finished.load() == cycles - 1);
  }
}
