#include <zio/detail/chaos.hpp>

#include <zio/detail/interleave.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace zio::detail {
namespace {

std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64's finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::uint64_t environment_seed() noexcept {
  const char* text = std::getenv("ZIO_CHAOS");
  if (!text || !*text) return 0;
  char* end = nullptr;
  const unsigned long long seed = std::strtoull(text, &end, 10);
  if (*end != '\0') {
    std::fprintf(stderr, "zio: ZIO_CHAOS=%s is not a decimal seed; chaos scheduling stays off\n", text);
    return 0;
  }
  return seed;
}

}  // namespace

void Chaos::seed(std::uint64_t seed) noexcept { state_ = seed; }

std::uint64_t chaos_seed_for_runtime(std::uint64_t option) noexcept {
  static const std::uint64_t from_environment = environment_seed();
  static std::atomic<std::uint64_t> runtimes{0};
  const std::uint64_t seed = option != 0 ? option : from_environment;
  if (seed == 0) return 0;
  static std::once_flag announced;
  std::call_once(announced, [seed] {
    std::fprintf(stderr, "zio: chaos scheduling on, seed %llu (replay with ZIO_CHAOS=%llu)\n",
                 static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  });
  return mix(seed ^ mix(runtimes.fetch_add(1, std::memory_order_relaxed))) | 1;
}

std::uint64_t chaos_seed_for_executor(std::uint64_t runtime_seed, std::size_t index) noexcept {
  if (runtime_seed == 0) return 0;
  return mix(runtime_seed + index) | 1;
}

#if defined(ZIO_INVARIANTS)
std::atomic<void (*)() noexcept> interleave_hook{nullptr};
#endif

}  // namespace zio::detail
