// Overflows a fiber's stack on purpose. Run by coroutine_test in a child process, which checks
// that the process dies with zio's overflow message.
#include <zio/zio.hpp>

#include <cstdio>

namespace {
// Each frame holds a buffer the compiler cannot drop, so recursion eats the stack quickly.
__attribute__((noinline)) int recurse(int depth) {
  volatile char buffer[1024];
  buffer[0] = static_cast<char>(depth);
  if (depth < 0) return buffer[0];
  return recurse(depth + 1) + buffer[0];
}
}  // namespace

int main() {
  zio::Runtime rt({.stack_size = 64 * 1024});
  rt.block_on([] { return recurse(0); });
  std::puts("no overflow happened");
  return 0;
}
