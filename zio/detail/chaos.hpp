#pragma once
// Chaos scheduling: with a seed, an executor takes random legal choices at its decision
// points, so that tests meet the interleavings that a quiet machine almost never produces
// (docs/reliability.md lists the points). Set RuntimeOptions::chaos_seed, or the environment
// variable ZIO_CHAOS for any program; a failure replays with the same seed. Internal.
#include <cstddef>
#include <cstdint>

namespace zio::detail {

/// One executor's random source for chaos decisions; used on that executor's thread only.
/// Off (the default) every question answers "no" after one predictable branch.
class Chaos {
 public:
  /// 0 turns chaos off.
  void seed(std::uint64_t seed) noexcept;
  bool on() const noexcept { return state_ != 0; }
  /// With chaos on, true with probability 1/n; off, false.
  bool one_in(std::uint32_t n) noexcept { return on() && next() % n == 0; }
  /// A number in [0, n); chaos must be on.
  std::uint32_t below(std::uint32_t n) noexcept { return static_cast<std::uint32_t>(next() % n); }

 private:
  std::uint64_t next() noexcept {  // xorshift64*
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return (state_ * 0x2545F4914F6CDD1Dull) >> 32;
  }
  std::uint64_t state_ = 0;
};

/// The seed for a new runtime's chaos: `option` when not 0, else ZIO_CHAOS from the
/// environment (0 or unset: off). Each runtime of the process gets its own stream, derived
/// from the seed and the runtime's serial number, so a test binary replays the same
/// sequence of runtimes with the same seed. Logs once per process that chaos is on.
std::uint64_t chaos_seed_for_runtime(std::uint64_t option) noexcept;

/// A seed for executor `index` of a runtime whose seed is `runtime_seed` (never 0 when that
/// is not 0).
std::uint64_t chaos_seed_for_executor(std::uint64_t runtime_seed, std::size_t index) noexcept;

}  // namespace zio::detail
