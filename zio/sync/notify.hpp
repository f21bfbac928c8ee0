#pragma once
#include <zio/detail/task.hpp>
#include <zio/runtime/this_task.hpp>

namespace zio {

/// Tokio's Notify: notify_one() wakes one waiter, or stores one permit when nobody waits, so
/// a notification sent just before the wait is not lost; notify_all() wakes every current
/// waiter and stores nothing. For fibers and threads. Thread-safe.
class Notify {
 public:
  Notify() = default;
  Notify(const Notify&) = delete;
  Notify& operator=(const Notify&) = delete;
  ~Notify();

  /// Wakes the longest waiter, or stores a permit (at most one) if there is none.
  void notify_one() noexcept;
  /// Wakes every waiter that is waiting now; stores no permit.
  void notify_all() noexcept;

  /// Consumes the stored permit, or waits for a notification. Throws Canceled.
  void wait();
  /// As wait(), giving up at `deadline`: false then. Throws Canceled.
  bool wait_until(Clock::time_point deadline);
  template <typename Rep, typename Period>
  bool wait_for(std::chrono::duration<Rep, Period> timeout) {
    return wait_until(detail::deadline_after(timeout));
  }

 private:
  bool wait_impl(const Clock::time_point* deadline, const char* caller);

  detail::SpinLock lock_;
  bool permit_ = false;                              // guarded by lock_
  detail::IntrusiveList<detail::WaitNode> waiters_;  // guarded by lock_
};

}  // namespace zio
