#include <zio/detail/steal_queue.hpp>

#include <zio/detail/assert.hpp>
#include <zio/detail/executor.hpp>

#include <algorithm>

namespace zio::detail {

void StealQueue::pop_half(TaskQueue& out) noexcept {
  std::uint32_t head = head_.load(std::memory_order_acquire);
  std::uint32_t n;
  for (;;) {
    n = (tail_.load(std::memory_order_relaxed) - head) / 2;
    if (n == 0) return;
    interleave_point();
    if (head_.compare_exchange_weak(head, head + n, std::memory_order_acq_rel)) break;
  }
  for (std::uint32_t i = 0; i < n; ++i) out.push_back(*slots_[(head + i) % capacity].load(std::memory_order_relaxed));
}

TaskBase* StealQueue::steal_into(StealQueue& thief, std::uint32_t max_batch) noexcept {
  // Only the thief's owner (this thread) pushes to its ring, and other thieves only move its
  // head forward, so the free space read here can only grow while we copy: the batch never
  // reaches a slot that still holds a queued task. (Stealing into a ring that was assumed
  // empty once wrote over live slots: issue 17, bug 1.)
  const std::uint32_t thief_tail = thief.tail_.load(std::memory_order_relaxed);
  const std::uint32_t thief_free = capacity - (thief_tail - thief.head_.load(std::memory_order_acquire));
  ZIO_ASSERT(thief_free <= capacity, "a steal queue holds more tasks than its capacity");
  if (thief_free == 0 || max_batch == 0) return nullptr;
  std::uint32_t head = head_.load(std::memory_order_acquire);
  std::uint32_t n;
  for (;;) {
    const std::uint32_t tail = tail_.load(std::memory_order_acquire);
    n = tail - head;
    if (n == 0 || n > capacity) return nullptr;  // empty, or a torn read of a moving queue
    n = std::min({n - n / 2, thief_free, max_batch});
    for (std::uint32_t i = 0; i < n; ++i) {
      thief.slots_[(thief_tail + i) % capacity].store(slots_[(head + i) % capacity].load(std::memory_order_relaxed),
                                                       std::memory_order_relaxed);
    }
    interleave_point();
    if (head_.compare_exchange_weak(head, head + n, std::memory_order_acq_rel)) break;
  }
  interleave_point();
  // Keep the newest for ourselves to run now; publish the rest.
  TaskBase* first = thief.slots_[(thief_tail + n - 1) % capacity].load(std::memory_order_relaxed);
  if (n > 1) thief.tail_.store(thief_tail + n - 1, std::memory_order_seq_cst);
  return first;
}

}  // namespace zio::detail
