#pragma once
/// `zio::SignalSet`: wait for POSIX signals from a fiber.
///
///     zio::SignalSet stop{SIGINT, SIGTERM};
///     int signo = stop.wait();  // suspends this fiber only
///
/// Every SignalSet that contains a signal sees each delivery of it; within one set, each
/// delivery is consumed by one wait (the longest waiter, or the next wait if nobody waits:
/// deliveries are counted per signal, so none is lost between two waits). The OS itself
/// merges a standard signal sent again while still pending, so "counted" means counted
/// as delivered by the kernel.
///
/// While a SignalSet for a signal exists, zio owns that signal's disposition. When the last
/// SignalSet for it goes away, or the runtime it was created in ends, the disposition that
/// was in place before zio took the signal is reinstalled.
#include <zio/error.hpp>
#include <zio/runtime/this_task.hpp>

#include <chrono>
#include <csignal>  // SIGINT and friends, for callers
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>

namespace zio {

class SignalSet {
 public:
  /// Starts receiving `signals` (duplicates are merged) in the calling fiber's runtime.
  /// Fiber only: throws NotInFiber on a plain thread, because the runtime to deliver on is
  /// the caller's. Throws std::invalid_argument naming the signal for an empty list, a number
  /// outside 1..NSIG-1, a signal that cannot be caught (SIGKILL, SIGSTOP), a fault signal
  /// that only makes sense synchronously (SIGSEGV, SIGBUS, SIGFPE, SIGILL) or one the C
  /// library reserves; system_error if the handler cannot be installed. Does not block.
  SignalSet(std::initializer_list<int> signals);
  explicit SignalSet(std::span<const int> signals);

  /// Stops receiving; restores a signal's previous disposition if this was its last set.
  /// Never throws; any thread. No fiber or thread may be waiting on the set.
  ~SignalSet();

  /// Movable while nobody waits; a moved-from set may only be destroyed or assigned to.
  SignalSet(SignalSet&& other) noexcept;
  SignalSet& operator=(SignalSet&& other) noexcept;
  SignalSet(const SignalSet&) = delete;
  SignalSet& operator=(const SignalSet&) = delete;

  /// Consumes one pending delivery, or suspends until one of the set's signals arrives;
  /// returns its number. Fibers and plain threads; thread-safe (several waiters are served
  /// in arrival order). Throws Canceled if the fiber is cancelled or a with_timeout around
  /// it fires: no delivery is consumed then, and the set stays usable. Throws system_error
  /// (errc::runtime_stopped) once the runtime it was created in has ended.
  int wait();
  /// As wait(), reporting through `ec` (errc::canceled, errc::runtime_stopped) and
  /// returning 0 on an error.
  int wait(error_code& ec) noexcept;

  /// As wait(), but gives up at `deadline`: returns an empty optional then.
  std::optional<int> wait_until(Clock::time_point deadline);
  template <typename Rep, typename Period>
  std::optional<int> wait_for(std::chrono::duration<Rep, Period> timeout) {
    return wait_until(detail::deadline_after(timeout));
  }

  /// Consumes a pending delivery if there is one; never waits. Any thread.
  std::optional<int> try_wait() noexcept;

  /// True if `signo` is one of the set's signals.
  bool contains(int signo) const noexcept;

  /// Internal state, shared with the runtime's signal hub (see signal_set.cpp).
  struct State;

 private:
  int wait_impl(const Clock::time_point* deadline, error_code& ec) noexcept;

  std::shared_ptr<State> state_;
};

/// Waits for the next SIGINT (Ctrl+C), as Tokio's ctrl_c(): a SignalSet{SIGINT} lives for
/// the duration of the call, so SIGINT keeps its default (killing) action before and after.
/// Keep a SignalSet{SIGINT} instead to catch every Ctrl+C. Fiber only (NotInFiber); throws
/// Canceled like SignalSet::wait.
void ctrl_c();
/// As ctrl_c(), reporting through `ec` (errc::canceled, errc::not_in_fiber, ...).
void ctrl_c(error_code& ec) noexcept;

}  // namespace zio
