#pragma once
/// Running blocking code (a legacy library, a CPU-heavy step, a system call without an
/// asynchronous form) without stalling the executor.
#include <zio/runtime/join_handle.hpp>

namespace zio {
namespace detail {
RuntimeCore& current_core(const char* caller);
/// Queues `job` on the runtime's blocking pool.
void submit_blocking(RuntimeCore& core, TaskBase& job) noexcept;
}  // namespace detail

/// Runs fn(args...) on one of the runtime's helper threads (see
/// RuntimeOptions::blocking_threads) and returns its handle at once. `join()` suspends only
/// the calling fiber; the executor runs other fibers meanwhile.
///
/// The function runs on a plain thread: it may block freely, and zio's fiber-only calls
/// throw NotInFiber there (zio's sync primitives work, blocking that thread). `cancel()`
/// stops a job that has not started yet; a running job cannot be interrupted, but a fiber
/// waiting in `join()` is (it throws Canceled) and the job's result is then dropped when it
/// ends. Fiber only: throws NotInFiber from a plain thread.
template <typename F, typename... Args>
JoinHandle<detail::TaskResultOf<F, Args...>> spawn_blocking(F&& fn, Args&&... args) {
  auto& core = detail::current_core("zio::spawn_blocking");
  auto* job = detail::make_task(core, std::forward<F>(fn), std::forward<Args>(args)...);
  JoinHandle<detail::TaskResultOf<F, Args...>> handle(job);
  detail::submit_blocking(core, *job);
  return handle;
}

/// spawn_blocking(fn, args...).join(): runs fn on a helper thread and returns its result
/// (or rethrows its exception) while only the calling fiber waits. If the fiber is
/// cancelled meanwhile, throws Canceled at once and the job's eventual result is dropped.
template <typename F, typename... Args>
detail::TaskResultOf<F, Args...> run_blocking(F&& fn, Args&&... args) {
  return spawn_blocking(std::forward<F>(fn), std::forward<Args>(args)...).join();
}

}  // namespace zio
