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

/// Suspends the calling fiber until `deadline`; never returns early. Fiber only (throws
/// NotInFiber). Throws Canceled when the fiber is cancelled (or its with_timeout fires)
/// meanwhile.
void sleep_until(Clock::time_point deadline);

/// As above, but reports instead of throwing: `ec` is cleared after a full sleep, set to
/// errc::canceled when interrupted, errc::not_in_fiber on a plain thread.
void sleep_until(Clock::time_point deadline, error_code& ec) noexcept;

/// Suspends the calling fiber for at least `duration`. See sleep_until.
template <typename Rep, typename Period>
void sleep_for(std::chrono::duration<Rep, Period> duration) {
  error_code ec;
  sleep_until(detail::deadline_after(duration), ec);
  if (ec) detail::throw_error(ec, ec == errc::not_in_fiber ? "zio::sleep_for" : nullptr);
}

/// Suspends the calling fiber for at least `duration`, reporting through `ec`.
template <typename Rep, typename Period>
void sleep_for(std::chrono::duration<Rep, Period> duration, error_code& ec) noexcept {
  sleep_until(detail::deadline_after(duration), ec);
}

/// The calling fiber's id, or 0 on a plain thread.
TaskId current_task_id() noexcept;

/// True when called from a fiber.
bool in_fiber() noexcept;

}  // namespace zio
