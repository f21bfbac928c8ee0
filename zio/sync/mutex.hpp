#pragma once
#include <zio/detail/task.hpp>
#include <zio/runtime/this_task.hpp>

namespace zio {

/// A mutual-exclusion lock for fibers and threads: a fiber that waits suspends (its executor
/// runs others), a plain thread blocks. Meets the standard Lockable requirements, so
/// std::unique_lock, std::scoped_lock and std::lock_guard work.
///
/// Fair: unlock hands the lock to the longest waiter. A waiter that is cancelled (or whose
/// with_timeout fires) leaves without the lock and without disturbing the others. zio does
/// not track owners: unlock is the holder's job, as with std::mutex. Thread-safe.
class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  ~Mutex();

  /// Waits until the lock is taken. Throws Canceled if the waiting fiber is cancelled.
  void lock();
  /// As lock(), but a cancel does not interrupt the wait (for cleanup paths).
  void lock_uncancelable() noexcept;
  /// Takes the lock if it is free; never waits.
  bool try_lock() noexcept;
  /// Waits at most until `deadline`; false if it passed. Throws Canceled.
  bool try_lock_until(Clock::time_point deadline);
  template <typename Rep, typename Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> timeout) {
    return try_lock_until(detail::deadline_after(timeout));
  }
  /// Releases the lock, handing it to the longest waiter if there is one. Never blocks.
  void unlock() noexcept;

 private:
  bool lock_until(const Clock::time_point* deadline, const char* caller);

  detail::SpinLock lock_;
  bool locked_ = false;                          // guarded by lock_
  detail::IntrusiveList<detail::WaitNode> waiters_;  // guarded by lock_
};

}  // namespace zio
