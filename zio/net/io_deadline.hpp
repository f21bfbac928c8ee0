#pragma once
/// The read or write time limit of a zio socket, in Go's style: a per-call timeout, an absolute
/// deadline, or both (the earlier wins).
#include <chrono>
#include <optional>

namespace zio::net {

class IoDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  /// Every call may take at most `timeout`; zero or negative removes the limit.
  void set_timeout(Clock::duration timeout) noexcept {
    timeout_ = timeout > Clock::duration::zero() ? std::optional(timeout) : std::nullopt;
  }
  /// Calls fail once `deadline` has passed; time_point::max() removes it.
  void set_deadline(Clock::time_point deadline) noexcept {
    deadline_ = deadline != Clock::time_point::max() ? std::optional(deadline) : std::nullopt;
  }
  /// The deadline for a call starting now, if any.
  std::optional<Clock::time_point> for_call() const noexcept {
    if (!timeout_) return deadline_;
    const auto by_timeout = Clock::now() + *timeout_;
    return deadline_ && *deadline_ < by_timeout ? deadline_ : std::optional(by_timeout);
  }

 private:
  std::optional<Clock::duration> timeout_;
  std::optional<Clock::time_point> deadline_;
};

/// The read and write limits of a zio socket, with Go-style setters. A base of the stream and
/// datagram sockets.
class IoLimits {
 public:
  /// Limits every later read (write) call to `timeout`; zero removes the limit.
  void set_read_timeout(std::chrono::steady_clock::duration timeout) noexcept { read_limit_.set_timeout(timeout); }
  void set_write_timeout(std::chrono::steady_clock::duration timeout) noexcept { write_limit_.set_timeout(timeout); }
  /// Reads (writes) fail with errc::timed_out once `deadline` passed; time_point::max()
  /// removes it.
  void set_read_deadline(std::chrono::steady_clock::time_point deadline) noexcept {
    read_limit_.set_deadline(deadline);
  }
  void set_write_deadline(std::chrono::steady_clock::time_point deadline) noexcept {
    write_limit_.set_deadline(deadline);
  }

 protected:
  IoDeadline read_limit_;
  IoDeadline write_limit_;
};

}  // namespace zio::net
