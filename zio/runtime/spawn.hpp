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

}  // namespace zio
