// Task frames are recycled per thread and returned between threads through the depot
// (zio/detail/frame_alloc.cpp).
#include <zio/detail/frame_alloc.hpp>
#include <zio/zio.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace {
// A size class no task frame of the other tests uses, so the depot's shelf holds only what this
// test gives it (it hands magazines out last in, first out).
constexpr std::size_t frame_size = 1000;
constexpr std::size_t frames = 4 * 256;  // several magazines' worth
}  // namespace

TEST_CASE("Task frames freed on one thread are reused by another", "[runtime][frames]") {
  std::vector<void*> allocated;
  std::thread spawner([&] {
    for (std::size_t i = 0; i < frames; ++i) allocated.push_back(zio::detail::allocate_task_frame(frame_size));
  });
  spawner.join();
  // Distinct, writable blocks.
  REQUIRE(std::set<void*>(allocated.begin(), allocated.end()).size() == frames);
  for (void* p : allocated) std::fill_n(static_cast<char*>(p), frame_size, '\x5a');

  std::thread executor([&] {
    for (void* p : allocated) zio::detail::free_task_frame(p, frame_size);
  });
  executor.join();  // its full magazines went to the depot, the rest when the thread ended

  std::vector<void*> again;
  std::thread spawner2([&] {
    for (std::size_t i = 0; i < frames; ++i) again.push_back(zio::detail::allocate_task_frame(frame_size));
  });
  spawner2.join();
  for (void* p : again) std::fill_n(static_cast<char*>(p), frame_size, '\x3c');
  for (void* p : again) zio::detail::free_task_frame(p, frame_size);
  if (!zio::detail::task_frames_recycled()) {
    WARN("AddressSanitizer build: task frames are plain allocations, not recycled");
    return;
  }
  const std::set<void*> old(allocated.begin(), allocated.end());
  const auto reused = std::count_if(again.begin(), again.end(), [&](void* p) { return old.count(p) != 0; });
  CHECK(reused == static_cast<long>(frames));
}

TEST_CASE("Spawns across executors recycle frames without losing tasks", "[runtime][frames]") {
  zio::Runtime rt({.executors = 2});
  constexpr long n = 200'000;
  std::atomic<long> ran{0};
  rt.block_on([&] {
    zio::ResetEvent all_done;
    for (long i = 0; i < n; ++i) {
      zio::spawn([&] {
        if (ran.fetch_add(1, std::memory_order_relaxed) + 1 == n) all_done.set();
      }).detach();
    }
    all_done.wait();
  });
  CHECK(ran == n);
}

// Issue 17: a frame freed on a thread after its frame cache was destroyed (a static Runtime
// shut down at exit frees frames after the main thread's thread_locals are gone). The dead
// cache had handed its frames to the depot but still listed them, so the same frame could be
// given out twice. A thread_local constructed before the cache is destroyed after it: its
// destructor plays the late shutdown.
TEST_CASE("Task frames freed after the thread's cache was destroyed are never handed out twice",
          "[runtime][frames]") {
  constexpr std::size_t size = 900;  // a class of its own (see frame_size above)
  constexpr std::size_t count = 300;  // one full magazine to the depot, 44 left in the cache
  std::vector<void*> late;
  std::thread thread([&] {
    struct LateShutdown {
      std::vector<void*>* out;
      ~LateShutdown() {
        for (std::size_t i = 0; i < count - 256; ++i) out->push_back(zio::detail::allocate_task_frame(size));
      }
    };
    thread_local LateShutdown late_shutdown{&late};  // constructed before the frame cache
    std::vector<void*> frames;
    for (std::size_t i = 0; i < count; ++i) frames.push_back(zio::detail::allocate_task_frame(size));
    for (void* f : frames) zio::detail::free_task_frame(f, size);
  });
  thread.join();
  std::vector<void*> again;
  std::thread other([&] {
    for (std::size_t i = 0; i < count; ++i) again.push_back(zio::detail::allocate_task_frame(size));
  });
  other.join();
  std::set<void*> now_live(again.begin(), again.end());
  std::size_t twice = 0;
  for (void* p : late) twice += now_live.count(p);
  CHECK(twice == 0);
  if (twice == 0) {
    for (void* p : late) zio::detail::free_task_frame(p, size);
    for (void* p : again) zio::detail::free_task_frame(p, size);
  }
}
