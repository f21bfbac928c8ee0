#include <zio/detail/assert.hpp>

#include <cstdio>
#include <cstdlib>

namespace zio::detail {

void assert_fail(const char* expr, const char* file, int line, const char* msg) noexcept {
  std::fprintf(stderr, "zio: assertion failed at %s:%d: %s (%s)\n", file, line, msg, expr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace zio::detail
