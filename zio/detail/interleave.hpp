#pragma once
// Interleaving points: places between the atomic steps of zio's lock-free pieces (the steal
// queue, the park/wake state machine, the channel hand-off) where a test can make the
// calling thread yield or spin, so that orders of those steps that are rare on a quiet
// machine happen thousands of times (test/stress). Compiled in only with the Meson option
// `invariants`; a no-op otherwise.
#include <atomic>

namespace zio::detail {

#if defined(ZIO_INVARIANTS)
/// Called at every interleaving point while set; tests set it and reset it to nullptr.
extern std::atomic<void (*)() noexcept> interleave_hook;
inline void interleave_point() noexcept {
  if (auto hook = interleave_hook.load(std::memory_order_relaxed)) hook();
}
#else
inline void interleave_point() noexcept {}
#endif

}  // namespace zio::detail
