#pragma once
// Waiting for a job on the blocking pool with the job's errors and the wait's interruptions
// kept apart. Internal: included by .cpp files only (not installed).
#include <zio/detail/task.hpp>
#include <zio/error.hpp>
#include <zio/runtime/blocking.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace zio::detail {

/// Runs job() on the blocking pool while only the calling fiber waits and returns its result.
/// On cancellation, a fired timeout or a stopping runtime, sets `ec` and returns nullopt; a
/// job that has not started yet then never runs (a queued write is not done behind the
/// caller's back), one that is running finishes alone. Throws NotInFiber naming `caller` on a
/// plain thread: that is misuse, not a run-time failure.
template <typename Job>
auto call_on_pool(const char* caller, error_code& ec, Job&& job) -> std::optional<std::invoke_result_t<Job&>> {
  if ((ec = enter_fiber_call(caller))) return std::nullopt;
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

}  // namespace zio::detail
