#pragma once
#include <zio/detail/task.hpp>
#include <zio/runtime/this_task.hpp>

#include <cstddef>

namespace zio {

/// A counting semaphore for fibers and threads. Permits go to waiters in arrival order
/// (release hands them over directly), so no waiter starves. Thread-safe.
class Semaphore {
 public:
  explicit Semaphore(std::size_t permits = 0) noexcept : permits_(permits) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  ~Semaphore();

  /// Takes one permit, waiting for it. Throws Canceled (no permit taken).
  void acquire();
  /// Takes a permit if one is free; never waits.
  bool try_acquire() noexcept;
  /// Waits at most until `deadline`; false if it passed. Throws Canceled.
  bool try_acquire_until(Clock::time_point deadline);
  template <typename Rep, typename Period>
  bool try_acquire_for(std::chrono::duration<Rep, Period> timeout) {
    return try_acquire_until(detail::deadline_after(timeout));
  }
  /// Returns `n` permits, waking as many waiters. Never blocks; any thread.
  void release(std::size_t n = 1) noexcept;
  /// Permits free now (a snapshot).
  std::size_t available() noexcept;

 private:
  bool acquire_until(const Clock::time_point* deadline, const char* caller);

  detail::SpinLock lock_;
  std::size_t permits_;                              // guarded by lock_
  detail::IntrusiveList<detail::WaitNode> waiters_;  // guarded by lock_
};

}  // namespace zio
