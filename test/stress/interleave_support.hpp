#pragma once
// Forcing rare interleavings of zio's lock-free pieces (issue 17). With the Meson option
// `invariants`, zio calls detail::interleave_point() between the atomic steps of the steal
// queue, the park/wake state machine and the channel hand-off; a Forcing scope makes each
// such point yield the thread or spin for a while at random, from a seed, so orders of
// those steps that almost never happen on a quiet machine happen in every round. Without
// the option the points compile to nothing and the tests are plain stress tests.
//
// Each test runs many rounds, each with its own seed (stress_seeds()); a failing round
// names its seed, and ZIO_STRESS_SEED=N runs that one alone.
#include <zio/detail/interleave.hpp>

#include <catch2/catch.hpp>

#include <sched.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace zio::test {

inline std::atomic<std::uint64_t> forcing_seed{0};
inline std::atomic<std::uint64_t> forcing_threads{0};

/// The seeds a stress test runs: `count` of them by default (scaled by ZIO_STRESS_SCALE,
/// a percentage), or just ZIO_STRESS_SEED.
inline std::vector<std::uint64_t> stress_seeds(std::uint64_t count) {
  if (const char* one = std::getenv("ZIO_STRESS_SEED"); one && *one) return {std::strtoull(one, nullptr, 10)};
  if (const char* scale = std::getenv("ZIO_STRESS_SCALE"); scale && *scale) {
    count = std::max<std::uint64_t>(1, count * std::strtoull(scale, nullptr, 10) / 100);
  }
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = 1; s <= count; ++s) seeds.push_back(s);
  return seeds;
}

/// While alive, every interleaving point yields or spins at random (seeded per thread from
/// `seed`). Only one at a time (the hook is process-wide).
class Forcing {
 public:
  explicit Forcing(std::uint64_t seed) {
#if defined(ZIO_INVARIANTS)
    forcing_seed = seed * 0x9E3779B97F4A7C15ull + 1;
    zio::detail::interleave_hook = &point;
#else
    (void)seed;
#endif
  }
  ~Forcing() {
#if defined(ZIO_INVARIANTS)
    zio::detail::interleave_hook = nullptr;
#endif
  }
  Forcing(const Forcing&) = delete;
  Forcing& operator=(const Forcing&) = delete;

 private:
  static void point() noexcept {
    // Per thread, restarted whenever the round's seed changes.
    thread_local std::uint64_t seen_seed = 0, state = 0;
    const std::uint64_t seed = forcing_seed.load(std::memory_order_relaxed);
    if (seen_seed != seed) {
      seen_seed = seed;
      state = seed ^ (forcing_threads.fetch_add(1, std::memory_order_relaxed) * 0xD1B54A32D192ED03ull) | 1;
    }
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    switch (state % 8) {
      case 0:
      case 1:
        ::sched_yield();  // another thread runs its next steps first
        break;
      case 2:
        for (std::uint64_t i = (state >> 8) % 256; i > 0; --i) __builtin_ia32_pause();
        break;
      default:
        break;
    }
  }
};

}  // namespace zio::test
