#pragma once
#include <zio/runtime/join_handle.hpp>

namespace zio {

namespace detail {
/// The runtime of the calling fiber; throws NotInFiber naming `caller` on a plain thread.
RuntimeCore& current_core(const char* caller);
}  // namespace detail

/// Starts fn(args...) as a new fiber on the calling fiber's runtime and returns its handle.
/// Fiber only (from a plain thread use Runtime::spawn): throws NotInFiber otherwise.
/// Never blocks. The new fiber is queued behind those already ready.
template <typename F, typename... Args>
JoinHandle<detail::TaskResultOf<F, Args...>> spawn(F&& fn, Args&&... args) {
  return JoinHandle<detail::TaskResultOf<F, Args...>>(
      detail::spawn_on(detail::current_core("zio::spawn"), std::forward<F>(fn), std::forward<Args>(args)...));
}

/// Starts fn(args...) as a fiber pinned to executor `executor_index` of the calling fiber's
/// runtime. Fiber only. Throws std::out_of_range for an index >= executors.
template <typename F, typename... Args>
JoinHandle<detail::TaskResultOf<F, Args...>> spawn_on(std::size_t executor_index, F&& fn, Args&&... args) {
  auto& core = detail::current_core("zio::spawn_on");
  auto* task = detail::make_task(core, std::forward<F>(fn), std::forward<Args>(args)...);
  JoinHandle<detail::TaskResultOf<F, Args...>> handle(task);
  detail::submit_pinned(core, *task, executor_index);
  return handle;
}

/// The index of the executor running the calling fiber, or -1 on a plain thread. Read it
/// afresh after any blocking call: fibers migrate.
std::ptrdiff_t current_executor_index() noexcept;

}  // namespace zio
