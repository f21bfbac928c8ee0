#pragma once
// ZIO_ASSERT: a broken invariant inside zio. Always on (release builds too): printing the
// place and aborting beats running on with a corrupted scheduler.

namespace zio::detail {
[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const char* msg) noexcept;
}

#define ZIO_ASSERT(cond, msg)                                                 \
  do {                                                                        \
    if (__builtin_expect(!(cond), 0))                                         \
      ::zio::detail::assert_fail(#cond, __FILE__, __LINE__, (msg));           \
  } while (0)
