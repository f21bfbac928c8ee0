// The steal queue on its own (issue 17): an owner that pushes, pops and overflows half its
// ring, and thieves that steal into their own rings (often not empty) and from each other,
// with forced interleavings. Every task must come out exactly once, and no ring may ever
// hold more than its capacity (the invariant checks abort otherwise).
#include "stress/interleave_support.hpp"

#include <zio/detail/executor.hpp>
#include <zio/detail/runtime_core.hpp>
#include <zio/zio.hpp>

#include <memory>
#include <random>
#include <thread>
#include <unordered_map>

namespace {

using zio::detail::StealQueue;
using zio::detail::TaskBase;

// Tasks that are never run: only their addresses and run-queue links are used.
class IdleTasks {
 public:
  explicit IdleTasks(std::size_t count) {
    zio::Runtime rt({.executors = 1});
    rt.block_on([&] {
      auto& core = zio::detail::current_core("IdleTasks");
      for (std::size_t i = 0; i < count; ++i) {
        TaskBase* task = zio::detail::make_task(core, [] {});
        index_[task] = i;
        tasks_.push_back(task);
      }
    });
  }
  ~IdleTasks() {
    for (TaskBase* task : tasks_) {
      task->release();  // the handle's reference
      task->release();  // the fiber's: it never ran
    }
  }
  TaskBase& operator[](std::size_t i) const { return *tasks_[i]; }
  std::size_t index_of(const TaskBase* task) const { return index_.at(task); }
  std::size_t size() const { return tasks_.size(); }

 private:
  std::vector<TaskBase*> tasks_;
  std::unordered_map<const TaskBase*, std::size_t> index_;
};

struct Round {
  const IdleTasks& tasks;
  std::vector<std::atomic<int>> taken;
  std::atomic<std::size_t> consumed{0};
  explicit Round(const IdleTasks& t) : tasks(t), taken(t.size()) {}
  void take(TaskBase* task) {
    taken[tasks.index_of(task)].fetch_add(1, std::memory_order_relaxed);
    consumed.fetch_add(1, std::memory_order_acq_rel);
  }
  bool done() const { return consumed.load(std::memory_order_acquire) == tasks.size(); }
};

}  // namespace

TEST_CASE("stress: the steal queue hands every task out exactly once", "[stress][steal_queue]") {
  constexpr std::size_t task_count = 2000;  // several rings' worth: the owner overflows
  constexpr int thieves = 2;
  const IdleTasks tasks(task_count);
  for (std::uint64_t seed : zio::test::stress_seeds(300)) {
    zio::test::Forcing forcing(seed);
    Round round(tasks);
    StealQueue owner_ring;
    std::vector<std::unique_ptr<StealQueue>> thief_rings;
    for (int t = 0; t < thieves; ++t) thief_rings.push_back(std::make_unique<StealQueue>());

    std::atomic<bool> push_failed{false};
    std::thread owner([&] {
      std::mt19937_64 rng(seed);
      for (std::size_t i = 0; i < task_count; ++i) {
        if (!owner_ring.push(tasks[i])) {
          zio::detail::TaskQueue overflow;  // as Executor::push_stealable does
          owner_ring.pop_half(overflow);
          while (TaskBase* t = overflow.pop_front()) round.take(t);
          if (!owner_ring.push(tasks[i])) push_failed = true;  // (Catch asserts on this thread only)
        }
        if (rng() % 3 == 0) {
          if (TaskBase* t = owner_ring.pop()) round.take(t);
        }
      }
      while (TaskBase* t = owner_ring.pop()) round.take(t);
    });
    std::vector<std::thread> thief_threads;
    for (int t = 0; t < thieves; ++t) {
      thief_threads.emplace_back([&, t] {
        std::mt19937_64 rng(seed * 31 + static_cast<std::uint64_t>(t));
        StealQueue& mine = *thief_rings[static_cast<std::size_t>(t)];
        while (!round.done()) {
          // From the owner mostly, sometimes from the other thief; into a ring that is
          // often not empty, with a random batch limit.
          StealQueue& victim = rng() % 4 == 0 ? *thief_rings[static_cast<std::size_t>(1 - t)] : owner_ring;
          const auto batch = static_cast<std::uint32_t>(1 + rng() % StealQueue::capacity);
          if (TaskBase* stolen = victim.steal_into(mine, batch)) round.take(stolen);
          for (auto n = rng() % 4; n > 0; --n) {
            if (TaskBase* task = mine.pop()) round.take(task);
          }
        }
      });
    }
    owner.join();
    for (auto& th : thief_threads) th.join();

    int exactly_once = 0;
    for (auto& count : round.taken) exactly_once += count.load() == 1;
    INFO("seed " << seed << " (replay: ZIO_STRESS_SEED=" << seed << ")");
    REQUIRE_FALSE(push_failed.load());
    REQUIRE(exactly_once == static_cast<int>(task_count));
    REQUIRE(owner_ring.empty());
    for (auto& ring : thief_rings) REQUIRE(ring->empty());
  }
}
