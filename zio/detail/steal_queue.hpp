#pragma once
// An executor's stealable run queue: a bounded ring with one owner and any number of thieves.
#include <zio/detail/assert.hpp>
#include <zio/detail/interleave.hpp>
#include <zio/detail/task.hpp>

#include <array>
#include <atomic>
#include <cstdint>

namespace zio::detail {

class TaskQueue;

/// A bounded FIFO ring of ready tasks (after Tokio's local queue).
///
/// The owner pushes at `tail_` and pops at `head_`; thieves also take from `head_`, half the
/// queue at a time. Only the owner writes slots, and it writes position p only while
/// p < head + capacity, so a thief that read positions [h, h + n) and then moves head from h
/// with a CAS knows none of them was overwritten: the owner could not reach them without
/// head having moved first. Pops and steals both claim their slots with that CAS.
class StealQueue {
 public:
  static constexpr std::uint32_t capacity = 256;

  /// Owner only. False when full (the caller overflows to the runtime's shared queue).
  bool push(TaskBase& task) noexcept {
    const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
    const std::uint32_t used = tail - head_.load(std::memory_order_acquire);
    ZIO_INVARIANT(used <= capacity, "a steal queue holds more tasks than its capacity");
    if (used >= capacity) return false;
    slots_[tail % capacity].store(&task, std::memory_order_relaxed);
    interleave_point();
    // seq_cst: pairs with an idle executor's re-check before it sleeps (see RuntimeCore).
    tail_.store(tail + 1, std::memory_order_seq_cst);
    return true;
  }

  /// Owner only: the oldest task, or nullptr.
  TaskBase* pop() noexcept {
    std::uint32_t head = head_.load(std::memory_order_acquire);
    for (;;) {
      if (head == tail_.load(std::memory_order_relaxed)) return nullptr;
      TaskBase* task = slots_[head % capacity].load(std::memory_order_relaxed);
      interleave_point();
      if (head_.compare_exchange_weak(head, head + 1, std::memory_order_acq_rel)) return task;
    }
  }

  /// Owner only: moves the older half into `out` (when the ring is full).
  void pop_half(TaskQueue& out) noexcept;

  /// Called by `thief`'s owner thread on another executor's queue: moves half of this queue
  /// (rounded up, at most `max_batch` and at most what `thief` has room for) into `thief`,
  /// and returns one of them to run now; nullptr when there was nothing to take or no room.
  TaskBase* steal_into(StealQueue& thief, std::uint32_t max_batch = capacity) noexcept;

  /// Any thread; a hint.
  std::uint32_t size() const noexcept {
    return tail_.load(std::memory_order_seq_cst) - head_.load(std::memory_order_seq_cst);
  }
  bool empty() const noexcept { return size() == 0; }

 private:
  alignas(64) std::atomic<std::uint32_t> head_{0};  // thieves and owner
  alignas(64) std::atomic<std::uint32_t> tail_{0};  // owner writes
  alignas(64) std::array<std::atomic<TaskBase*>, capacity> slots_{};
};

}  // namespace zio::detail
