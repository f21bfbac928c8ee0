#pragma once
/// Calls about the calling fiber: yield, sleep, id.
#include <zio/detail/task.hpp>

#include <chrono>

namespace zio {

using Clock = std::chrono::steady_clock;

namespace detail {
/// now + duration, rounded up, saturating at time_point::max() instead of overflowing.
template <typename Rep, typename Period>
Clock::time_point deadline_after(std::chrono::duration<Rep, Period> timeout) {
  using Seconds = std::chrono::duration<long double>;
  const auto now = Clock::now();
  if (timeout <= timeout.zero()) return now;
  const auto headroom = Clock::time_point::max() - now;
  if (std::chrono::duration_cast<Seconds>(timeout) >= std::chrono::duration_cast<Seconds>(headroom)) {
    return Clock::time_point::max();
  }
  return now + std::chrono::ceil<Clock::duration>(timeout);
}
}  // namespace detail

/// Lets every other ready fiber on this executor run, then continues. Fiber only (throws
/// NotInFiber). Throws Canceled if the fiber was cancelled.
void yield();

/// Suspends the calling fiber until `deadline`; never returns early. Fiber only. Throws
/// Canceled when the fiber is cancelled (or its with_timeout fires) meanwhile.
void sleep_until(Clock::time_point deadline);

/// Suspends the calling fiber for at least `duration`. See sleep_until.
template <typename Rep, typename Period>
void sleep_for(std::chrono::duration<Rep, Period> duration) {
  sleep_until(detail::deadline_after(duration));
}

/// The calling fiber's id, or 0 on a plain thread.
TaskId current_task_id() noexcept;

/// True when called from a fiber.
bool in_fiber() noexcept;

}  // namespace zio
