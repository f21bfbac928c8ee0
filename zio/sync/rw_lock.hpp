#pragma once
#include <zio/detail/task.hpp>
#include <zio/runtime/this_task.hpp>

namespace zio {

/// A reader-writer lock for fibers and threads: many readers or one writer. Waiters are
/// served in arrival order, so a waiting writer holds back readers that come after it and
/// writers do not starve. Meets SharedLockable: std::shared_lock and std::unique_lock work.
/// A cancelled waiter leaves without the lock and lets those behind it through. Thread-safe.
class RwLock {
 public:
  RwLock() = default;
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;
  ~RwLock();

  /// Exclusive. Throws Canceled.
  void lock();
  bool try_lock() noexcept;
  /// Waits at most until `deadline`; false if it passed. Throws Canceled.
  bool try_lock_until(Clock::time_point deadline);
  template <typename Rep, typename Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> timeout) {
    return try_lock_until(detail::deadline_after(timeout));
  }
  void unlock() noexcept;

  /// Shared. Throws Canceled.
  void lock_shared();
  bool try_lock_shared() noexcept;
  bool try_lock_shared_until(Clock::time_point deadline);
  template <typename Rep, typename Period>
  bool try_lock_shared_for(std::chrono::duration<Rep, Period> timeout) {
    return try_lock_shared_until(detail::deadline_after(timeout));
  }
  void unlock_shared() noexcept;

 private:
  bool acquire(bool exclusive, const Clock::time_point* deadline, const char* caller);
  void admit_waiters() noexcept;

  detail::SpinLock lock_;
  std::size_t readers_ = 0;                          // guarded by lock_
  bool writer_ = false;                              // guarded by lock_
  detail::IntrusiveList<detail::WaitNode> waiters_;  // guarded by lock_; node.data: 1 = writer
};

}  // namespace zio
