#include <zio/coro/stack.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

using zio::detail::Stack;
using zio::detail::StackPool;

namespace {
// The protection of the mapping that contains `address`, from /proc/self/maps ("rw-p", "---p").
std::string protection_at(const void* address) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  auto a = reinterpret_cast<std::uintptr_t>(address);
  while (std::getline(maps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) == 3 && a >= lo && a < hi) return perms;
  }
  return "unmapped";
}
}  // namespace

TEST_CASE("StackPool: stacks have a guard page below the usable part", "[coro][stack]") {
  StackPool pool(64 * 1024, 4);
  Stack s = pool.acquire();
  REQUIRE(s);
  CHECK(s.guarded);
  CHECK(s.usable_size() >= 64 * 1024);
  CHECK(s.usable_size() % StackPool::page_size() == 0);
  CHECK(s.guard_contains(s.base));
  CHECK_FALSE(s.guard_contains(s.usable_bottom()));
  CHECK(protection_at(s.base).substr(0, 3) == "---");
  CHECK(protection_at(s.usable_bottom()).substr(0, 2) == "rw");
  pool.release(s);
}

TEST_CASE("StackPool: released stacks are reused, last in first out", "[coro][stack]") {
  StackPool pool(32 * 1024, 2);
  Stack a = pool.acquire();
  Stack b = pool.acquire();
  pool.release(a);
  pool.release(b);
  CHECK(pool.cached() == 2);
  CHECK(pool.acquire().base == b.base);
  CHECK(pool.acquire().base == a.base);
  CHECK(pool.cached() == 0);
}

TEST_CASE("StackPool: beyond the cache bound stacks are unmapped", "[coro][stack]") {
  StackPool pool(32 * 1024, 1);
  Stack a = pool.acquire();
  Stack b = pool.acquire();
  char* b_base = b.base;
  pool.release(a);
  pool.release(b);  // cache full: unmapped
  CHECK(pool.cached() == 1);
  CHECK(protection_at(b_base) == "unmapped");
  pool.release(pool.acquire());
}
