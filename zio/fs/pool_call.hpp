#pragma once
// How zio::fs runs a system call on the blocking pool. Internal: included by zio/fs/*.cpp only
// (not installed).
//
// The ownership rule every caller follows: the job owns everything it touches. A fiber that is
// cancelled (or whose with_timeout fires) stops waiting at once while the job may still be
// blocked in the kernel; the job then finishes on its own and its result is destroyed with it.
// So a job never points into the caller's stack or buffers:
//  - reads go into a heap buffer the job allocates; the fiber copies out after a success;
//  - writes take a copy of the caller's data;
//  - descriptors are held through a shared_ptr (the job's copy keeps a descriptor open, so a
//    close() meanwhile cannot let a late job read or write whatever file reuses the number);
//  - results that own resources (an opened descriptor) close them in their destructor, so a
//    dropped result leaks nothing.
#include <zio/error.hpp>
#include <zio/runtime/blocking.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace zio::fs::pool {

/// Runs job() on the blocking pool while only the calling fiber waits and returns its result.
/// On cancellation, a fired timeout or a stopping runtime, sets `ec` and returns nullopt; a
/// job that has not started yet then never runs (a queued write is not done behind the
/// caller's back), one that is running finishes alone. Throws NotInFiber naming `caller` on a
/// plain thread: that is misuse, not a run-time failure.
template <typename Job>
auto call(const char* caller, error_code& ec, Job&& job) -> std::optional<std::invoke_result_t<Job&>> {
  zio::detail::TaskBase::current_or_throw(caller);
  if ((ec = zio::detail::enter_blocking_call())) return std::nullopt;
  auto handle = spawn_blocking(std::forward<Job>(job));
  try {
    return handle.join();
  } catch (const system_error& e) {
    // Canceled, TimedOut or runtime_stopped; reported through ec, and a cancel stays sticky
    // for the fiber's next blocking call.
    handle.cancel();
    ec = e.code();
    return std::nullopt;
  }
}

/// Throws `ec` as the error of `call` on `path`: `zio::fs::read_file("/x"): No such file ...`.
[[noreturn]] inline void fail(const error_code& ec, const char* call, const std::string& path) {
  const std::string what = std::string(call) + "(\"" + path + "\")";
  zio::detail::throw_error(ec, what.c_str());
}

/// The most bytes one pool job transfers: large enough that the hand-off to a pool thread
/// (some µs) is small next to the copy, small enough to bound each job's own buffer.
inline constexpr std::size_t max_transfer = std::size_t{1} << 20;

}  // namespace zio::fs::pool
