// Micro-benchmarks of the runtime core: spawn+join, a yield round trip, spawn throughput and
// (with several executors) a cross-executor hand-off, in ns per operation. Also two yardsticks
// for a hand-off: a bare Boost.Context jump (the floor of one switch), and an uncontended lock
// and unlock in a tight loop (inside a hand-off the processor overlaps such locked
// instructions with other work, so there they cost less: docs/performance.md).
// Each figure is the median of several runs; no thresholds: the comparison with other runtimes
// lives in the benchmark suite.
//
//   build/release/benchmarks/micro [--executors N]
#include <zio/zio.hpp>

#include "median.hpp"

#include <boost/context/detail/fcontext.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

using zio::bench::median_ns_per_op;


// Spawns `count` fibers in batches and joins them: the allocation, queueing, first switch
// (stack from the pool), completion and join.
void spawn_join(long count) {
  constexpr long batch = 1000;
  std::vector<zio::JoinHandle<void>> handles;
  handles.reserve(batch);
  for (long done = 0; done < count; done += batch) {
    for (long i = 0; i < batch; ++i) handles.push_back(zio::spawn([] {}));
    for (auto& h : handles) h.join();
    handles.clear();
  }
}

// Two fibers yield to each other `rounds` times: each round is two switches into a fiber and
// two back to the executor.
void yield_round_trips(long rounds) {
  auto other = zio::spawn([rounds] {
    for (long i = 0; i < rounds; ++i) zio::yield();
  });
  for (long i = 0; i < rounds; ++i) zio::yield();
  other.join();
}

// Spawns `count` fibers that each bump a counter, then joins them all: spawn throughput, with
// idle executors stealing when there are several.
void spawn_throughput(long count) {
  std::atomic<long> counter{0};
  std::vector<zio::JoinHandle<void>> handles;
  handles.reserve(static_cast<std::size_t>(count));
  for (long i = 0; i < count; ++i) handles.push_back(zio::spawn([&counter] { counter.fetch_add(1, std::memory_order_relaxed); }));
  for (auto& h : handles) h.join();
  if (counter.load() != count) std::abort();
}

// A fiber starts a fiber on the next executor and joins it, `rounds` times. The join's
// wake-up moves the joiner to that executor, so every round crosses threads twice.
void cross_executor_round_trips(long rounds, std::size_t executors) {
  for (long i = 0; i < rounds; ++i) {
    const auto next = static_cast<std::size_t>(zio::current_executor_index() + 1) % executors;
    zio::spawn_on(next, [] {}).join();
  }
}

// One-way jumps between two Boost.Context contexts that do nothing else: the switch floor.
void bare_jumps(long rounds) {
  namespace ctx = boost::context::detail;
  static std::vector<char> stack(64 * 1024);
  ctx::fcontext_t other = ctx::make_fcontext(stack.data() + stack.size(), stack.size(), [](ctx::transfer_t t) {
    for (;;) t = ctx::jump_fcontext(t.fctx, nullptr);
  });
  for (long i = 0; i < rounds; ++i) other = ctx::jump_fcontext(other, nullptr).fctx;  // there and back: 2 jumps
}

// An uncontended lock and unlock, as a spin lock takes them: one locked exchange, one store.
void locked_exchanges(long count) {
  static std::atomic<bool> flag{false};
  for (long i = 0; i < count; ++i) {
    if (flag.exchange(true, std::memory_order_acquire)) std::abort();
    flag.store(false, std::memory_order_release);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t executors = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--executors") == 0 && i + 1 < argc) {
      executors = std::strtoul(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--executors N]\n", argv[0]);
      return 2;
    }
  }
  zio::Runtime rt({.executors = executors});
  constexpr long spawns = 200'000;
  constexpr long rounds = 1'000'000;
  double spawn_ns = rt.block_on([] { return median_ns_per_op(7, spawns, [] { spawn_join(spawns); }); });
  double yield_ns = rt.block_on([] { return median_ns_per_op(7, rounds, [] { yield_round_trips(rounds); }); });
  constexpr long throughput_spawns = 1'000'000;
  double throughput_ns =
      rt.block_on([] { return median_ns_per_op(5, throughput_spawns, [] { spawn_throughput(throughput_spawns); }); });
  constexpr long yardstick_ops = 10'000'000;
  const double jump_ns = median_ns_per_op(5, 2 * yardstick_ops, [] { bare_jumps(yardstick_ops); });
  const double lock_ns = median_ns_per_op(5, yardstick_ops, [] { locked_exchanges(yardstick_ops); });
  std::printf("executors=%zu\n", executors);
  std::printf("floor: one bare jump   %8.1f ns\n", jump_ns);
  std::printf("lock + unlock (loop)   %8.1f ns\n", lock_ns);
  std::printf("spawn+join             %8.1f ns/op\n", spawn_ns);
  std::printf("yield round trip       %8.1f ns/op\n", yield_ns);
  std::printf("spawn throughput (1M)  %8.1f ns/spawn  (%.2f M spawns/s)\n", throughput_ns, 1e3 / throughput_ns);
  if (executors > 1) {
    constexpr long cross_rounds = 20'000;
    double cross_ns = rt.block_on([executors] {
      return median_ns_per_op(5, cross_rounds, [executors] { cross_executor_round_trips(cross_rounds, executors); });
    });
    std::printf("cross-executor spawn_on+join %8.1f ns/op\n", cross_ns);
  }
  return 0;
}
