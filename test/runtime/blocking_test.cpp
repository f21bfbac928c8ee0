// The blocking pool: spawn_blocking / run_blocking.
#include "support/runtime.hpp"

#include <zio/runtime/blocking.hpp>

#include <dirent.h>

#include <atomic>
#include <stdexcept>
#include <thread>

using namespace zio;
using namespace std::chrono_literals;
using zio::test::run_in_runtime;

namespace {

std::size_t thread_count() {
  std::size_t count = 0;
  if (DIR* dir = ::opendir("/proc/self/task")) {
    while (const dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
    ::closedir(dir);
  }
  return count;
}

}  // namespace

TEST_CASE("run_blocking returns the job's value or rethrows its exception", "[runtime][blocking]") {
  const std::size_t executors = GENERATE(1, 4);
  run_in_runtime(executors, [] {
    const auto fiber_thread = std::this_thread::get_id();
    auto [value, job_thread] = run_blocking([](int x) { return std::pair(x * 2, std::this_thread::get_id()); }, 21);
    CHECK(value == 42);
    CHECK(job_thread != fiber_thread);
    CHECK_THROWS_WITH(run_blocking([] { throw std::runtime_error("from the pool"); }), "from the pool");
    CHECK_FALSE(in_fiber() != true);
    CHECK(run_blocking([] { return in_fiber(); }) == false);
  });
}

TEST_CASE("A blocked job does not block the executor", "[runtime][blocking]") {
  run_in_runtime(1, [] {
    // The job blocks its thread until a fiber on the only executor sets the event: if the
    // executor were blocked too, this would deadlock.
    ResetEvent event;
    auto job = spawn_blocking([&event] {
      event.wait();
      return 7;
    });
    auto setter = spawn([&event] { event.set(); });
    CHECK(job.join() == 7);
    setter.join();
  });
}

TEST_CASE("Cancelling a fiber waiting for a job returns at once; the job finishes alone", "[runtime][blocking]") {
  const std::size_t executors = GENERATE(1, 4);
  run_in_runtime(executors, [] {
    ResetEvent started;
    ResetEvent release;
    std::atomic<bool> finished{false};
    auto waiter = spawn([&] {
      run_blocking([&] {
        started.set();
        release.wait();
        finished.store(true);
      });
    });
    started.wait();
    waiter.cancel();
    CHECK(zio::test::ended_canceled(waiter));
    CHECK_FALSE(finished.load());
    release.set();
    zio::test::yield_until([&] { return finished.load(); });
  });
}

TEST_CASE("A job cancelled before it starts never runs", "[runtime][blocking]") {
  Runtime rt({.executors = 1, .blocking_threads = 1});
  rt.block_on([] {
    ResetEvent release;
    auto hog = spawn_blocking([&release] { release.wait(); });
    std::atomic<bool> ran{false};
    auto queued = spawn_blocking([&ran] { ran.store(true); });
    queued.cancel();
    release.set();
    hog.join();
    CHECK(zio::test::ended_canceled(queued));
    CHECK_FALSE(ran.load());
  });
}

TEST_CASE("The pool never runs more jobs at once than its size", "[runtime][blocking]") {
  Runtime rt({.executors = 2, .blocking_threads = 2});
  rt.block_on([] {
    std::atomic<int> running{0};
    std::atomic<int> most{0};
    Semaphore gate(0);
    std::vector<JoinHandle<void>> jobs;
    for (int i = 0; i < 6; ++i) {
      jobs.push_back(spawn_blocking([&] {
        const int now = running.fetch_add(1) + 1;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        gate.acquire();
        running.fetch_sub(1);
      }));
    }
    // Both threads get busy and stay so until the gate opens; the other jobs queue.
    zio::test::yield_until([&] { return running.load() == 2; });
    for (int i = 0; i < 6; ++i) {
      gate.release();
      zio::yield();
    }
    for (auto& job : jobs) job.join();
    CHECK(most.load() == 2);
  });
}

TEST_CASE("A job queued behind a blocking one gets its own thread", "[runtime][blocking]") {
  Runtime rt({.executors = 1, .blocking_threads = 4});
  rt.block_on([] {
    run_blocking([] {});  // leaves one idle thread behind
    ResetEvent release;
    // Queued back to back: the first blocks until the second has finished, so the second must
    // not wait for the thread the first took.
    auto first = spawn_blocking([&release] { release.wait(); });
    auto second = spawn_blocking([] { return 2; });
    CHECK(second.join() == 2);
    release.set();
    first.join();
  });
}

TEST_CASE("Idle pool threads retire after the keep-alive", "[runtime][blocking]") {
  Runtime rt({.executors = 1, .blocking_keep_alive = 20ms});
  rt.block_on([] {
    const std::size_t before = thread_count();
    run_blocking([] {});
    // Retirement is driven by time: poll for it, with a generous bound.
    const auto give_up = Clock::now() + 5s;
    while (thread_count() > before && Clock::now() < give_up) sleep_for(5ms);
    CHECK(thread_count() == before);
  });
}

TEST_CASE("Shutdown ends queued jobs and waits for running ones", "[runtime][blocking]") {
  std::atomic<bool> finished{false};
  JoinHandle<void> queued;
  {
    Runtime rt({.executors = 1, .blocking_threads = 1});
    ResetEvent started;
    rt.block_on([&] {
      spawn_blocking([&] {
        started.set();
        // Runs past the runtime's end: shutdown must wait for it.
        std::this_thread::sleep_for(50ms);
        finished.store(true);
      }).detach();
      queued = spawn_blocking([] {});
      started.wait();
    });
  }
  CHECK(finished.load());
  REQUIRE(queued.done());
  CHECK_THROWS_WITH(queued.join(), Catch::Contains("shut down"));
}

TEST_CASE("spawn_blocking misuse is a clear error", "[runtime][blocking][misuse]") {
  CHECK_THROWS_AS(spawn_blocking([] {}), NotInFiber);
  CHECK_THROWS_AS(Runtime({.blocking_threads = 0}), std::invalid_argument);
}
