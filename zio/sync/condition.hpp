#pragma once
#include <zio/sync/mutex.hpp>

#include <condition_variable>
#include <mutex>

namespace zio {

/// A condition variable for zio::Mutex, for fibers and threads (a fiber suspends, a thread
/// blocks). Every wait re-locks the mutex before it returns or throws, as std's does. A
/// cancelled or timed-out waiter leaves the queue and takes no notification with it. Spurious
/// wake-ups do not happen, but use the predicate forms anyway. Thread-safe.
class Condition {
 public:
  Condition() = default;
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;
  ~Condition();

  /// Unlocks, waits for a notification, re-locks. Throws Canceled (after re-locking).
  void wait(std::unique_lock<Mutex>& lock);
  template <typename Predicate>
  void wait(std::unique_lock<Mutex>& lock, Predicate pred) {
    while (!pred()) wait(lock);
  }

  /// As wait(), giving up at `deadline`: std::cv_status::timeout then.
  std::cv_status wait_until(std::unique_lock<Mutex>& lock, Clock::time_point deadline);
  template <typename Predicate>
  bool wait_until(std::unique_lock<Mutex>& lock, Clock::time_point deadline, Predicate pred) {
    while (!pred()) {
      if (wait_until(lock, deadline) == std::cv_status::timeout) return pred();
    }
    return true;
  }
  template <typename Rep, typename Period>
  std::cv_status wait_for(std::unique_lock<Mutex>& lock, std::chrono::duration<Rep, Period> timeout) {
    return wait_until(lock, detail::deadline_after(timeout));
  }
  template <typename Rep, typename Period, typename Predicate>
  bool wait_for(std::unique_lock<Mutex>& lock, std::chrono::duration<Rep, Period> timeout, Predicate pred) {
    return wait_until(lock, detail::deadline_after(timeout), std::move(pred));
  }

  /// Wakes the longest waiter, if any. Never blocks; any thread.
  void notify_one() noexcept;
  /// Wakes every waiter. Never blocks; any thread.
  void notify_all() noexcept;

 private:
  std::cv_status wait_impl(std::unique_lock<Mutex>& lock, const Clock::time_point* deadline);

  detail::SpinLock lock_;
  detail::IntrusiveList<detail::WaitNode> waiters_;  // guarded by lock_
};

}  // namespace zio
