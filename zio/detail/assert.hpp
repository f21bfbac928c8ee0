#pragma once
// ZIO_ASSERT: a broken invariant inside zio. Always on (release builds too): printing the
// place and aborting beats running on with a corrupted scheduler.
//
// ZIO_INVARIANT: a check of the core's invariants where they can break (ring sizes, task
// state transitions, a task queued once at a time, every task finished at shutdown), on in
// builds with the Meson option `invariants` (CI's sanitizer builds) and compiled out
// otherwise, because some of them cost a locked instruction on every hand-off.

namespace zio::detail {
[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const char* msg) noexcept;

#if defined(ZIO_INVARIANTS)
inline constexpr bool invariants_checked = true;
#else
inline constexpr bool invariants_checked = false;
#endif
}  // namespace zio::detail

#define ZIO_ASSERT(cond, msg)                                                 \
  do {                                                                        \
    if (__builtin_expect(!(cond), 0))                                         \
      ::zio::detail::assert_fail(#cond, __FILE__, __LINE__, (msg));           \
  } while (0)

#if defined(ZIO_INVARIANTS)
#define ZIO_INVARIANT(cond, msg) ZIO_ASSERT(cond, msg)
#else
// Not evaluated, but still compiled: a check cannot rot in the builds that leave it out.
#define ZIO_INVARIANT(cond, msg) \
  do {                           \
    if (false) (void)(cond);     \
  } while (0)
#endif
