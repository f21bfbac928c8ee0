#pragma once
/// Deadlines and shields for the calling fiber.
#include <zio/detail/timer_node.hpp>
#include <zio/runtime/this_task.hpp>

#include <atomic>

namespace zio {

namespace detail {
/// Registers a deadline for the calling fiber for its lifetime. When the deadline passes, the
/// fiber's current or next blocking call throws Canceled, until this scope ends.
class TimeoutScope {
 public:
  explicit TimeoutScope(Clock::time_point deadline);
  ~TimeoutScope();
  TimeoutScope(const TimeoutScope&) = delete;
  TimeoutScope& operator=(const TimeoutScope&) = delete;
  /// True once this scope's deadline has passed (not an outer one's).
  bool fired() const noexcept;

 private:
  static void on_fire(TimerNode& node) noexcept;

  TimerNode timer_;  // first member: on_fire casts the node back to the scope
  TaskBase* task_;
  std::atomic<bool> fired_{false};
};
}  // namespace detail

/// Runs fn() in the calling fiber with a deadline. If the deadline passes first, the blocking
/// call fn is in throws Canceled, fn's stack unwinds, and with_timeout throws `TimedOut`.
/// Work that is interrupted by an outer deadline or an outside cancel sees `Canceled` pass
/// through unchanged, so a caller can tell which fired: `TimedOut` comes only from the
/// with_timeout whose own deadline passed. If fn returns normally its value is returned, even
/// if the deadline passed meanwhile. Fiber only (throws NotInFiber).
template <typename Rep, typename Period, typename F>
auto with_timeout(std::chrono::duration<Rep, Period> timeout, F&& fn) -> decltype(fn()) {
  detail::TimeoutScope scope(detail::deadline_after(timeout));
  try {
    return std::forward<F>(fn)();
  } catch (const Canceled&) {
    if (scope.fired()) throw TimedOut("zio::with_timeout: deadline passed");
    throw;
  }
}

/// While alive, the calling fiber's blocking calls ignore cancellation and deadlines, so
/// cleanup that must finish (flushing, releasing a remote lock) is not cut short. A cancel that
/// arrives meanwhile stays pending and takes effect at the first blocking call after the
/// shield ends. Fiber only (throws NotInFiber). Nests.
class Shield {
 public:
  Shield();
  ~Shield();
  Shield(const Shield&) = delete;
  Shield& operator=(const Shield&) = delete;

 private:
  detail::TaskBase* task_;
};

}  // namespace zio
