#pragma once
#include <zio/detail/task.hpp>
#include <zio/runtime/this_task.hpp>

namespace zio {

/// A manual-reset event: once set, every wait returns at once until reset(). For fibers and
/// threads. Thread-safe.
class ResetEvent {
 public:
  ResetEvent() = default;
  ResetEvent(const ResetEvent&) = delete;
  ResetEvent& operator=(const ResetEvent&) = delete;
  ~ResetEvent();

  /// Sets the event and wakes every waiter. Never blocks; any thread.
  void set() noexcept;
  /// Clears the event. Never blocks.
  void reset() noexcept;
  bool is_set() const noexcept { return set_.load(std::memory_order_acquire); }

  /// Waits until the event is set. Throws Canceled.
  void wait();
  /// Waits at most until `deadline`; false if it passed unset. Throws Canceled.
  bool wait_until(Clock::time_point deadline);
  template <typename Rep, typename Period>
  bool wait_for(std::chrono::duration<Rep, Period> timeout) {
    return wait_until(detail::deadline_after(timeout));
  }

 private:
  bool wait_impl(const Clock::time_point* deadline, const char* caller);

  detail::SpinLock lock_;
  std::atomic<bool> set_{false};                     // written under lock_
  detail::IntrusiveList<detail::WaitNode> waiters_;  // guarded by lock_
};

}  // namespace zio
