#include <zio/detail/steal_queue.hpp>

#include <zio/detail/executor.hpp>

namespace zio::detail {

void StealQueue::pop_half(TaskQueue& out) noexcept {
  std::uint32_t head = head_.load(std::memory_order_acquire);
  std::uint32_t n;
  for (;;) {
    n = (tail_.load(std::memory_order_relaxed) - head) / 2;
    if (n == 0) return;
    if (head_.compare_exchange_weak(head, head + n, std::memory_order_acq_rel)) break;
  }
  for (std::uint32_t i = 0; i < n; ++i) out.push_back(*slots_[(head + i) % capacity].load(std::memory_order_relaxed));
}

TaskBase* StealQueue::steal_into(StealQueue& thief) noexcept {
  const std::uint32_t thief_tail = thief.tail_.load(std::memory_order_relaxed);
  std::uint32_t head = head_.load(std::memory_order_acquire);
  std::uint32_t n;
  for (;;) {
    const std::uint32_t tail = tail_.load(std::memory_order_acquire);
    n = tail - head;
    if (n == 0 || n > capacity) return nullptr;  // empty, or a torn read of a moving queue
    n -= n / 2;
    for (std::uint32_t i = 0; i < n; ++i) {
      thief.slots_[(thief_tail + i) % capacity].store(slots_[(head + i) % capacity].load(std::memory_order_relaxed),
                                                       std::memory_order_relaxed);
    }
    if (head_.compare_exchange_weak(head, head + n, std::memory_order_acq_rel)) break;
  }
  // Keep the newest for ourselves to run now; publish the rest.
  TaskBase* first = thief.slots_[(thief_tail + n - 1) % capacity].load(std::memory_order_relaxed);
  if (n > 1) thief.tail_.store(thief_tail + n - 1, std::memory_order_seq_cst);
  return first;
}

}  // namespace zio::detail
