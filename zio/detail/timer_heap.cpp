#include <zio/detail/timer_heap.hpp>

#include <mutex>
#include <new>
#include <utility>

namespace zio::detail {

void TimerHeap::add(TimerNode& node) {
  std::lock_guard guard(lock_);
  node.heap = this;
  heap_.push_back(&node);
  node.heap_index = heap_.size() - 1;
  sift_up(node.heap_index);
}

bool TimerHeap::remove(TimerNode& node) noexcept {
  std::lock_guard guard(lock_);
  if (node.heap_index == TimerNode::not_in_heap) return false;
  erase_at(node.heap_index);
  return true;
}

std::size_t TimerHeap::fire_expired(std::chrono::steady_clock::time_point now, Chaos& chaos) noexcept {
  std::lock_guard guard(lock_);
  std::size_t fired = 0;
  if (chaos.on() && !heap_.empty() && heap_.front()->deadline <= now) {
    std::vector<TimerNode*> due;
    try {
      while (!heap_.empty() && heap_.front()->deadline <= now) {
        due.push_back(heap_.front());
        erase_at(0);  // only once stored: a failed push_back loses no node
      }
    } catch (const std::bad_alloc&) {
      // No memory to collect more: those left fire in deadline order below.
    }
    for (std::size_t i = due.size(); i > 1; --i) std::swap(due[i - 1], due[chaos.below(static_cast<std::uint32_t>(i))]);
    for (TimerNode* node : due) node->on_fire(*node);
    fired = due.size();
  }
  while (!heap_.empty() && heap_.front()->deadline <= now) {
    TimerNode* node = heap_.front();
    erase_at(0);
    node->on_fire(*node);
    ++fired;
  }
  return fired;
}

std::optional<std::chrono::steady_clock::time_point> TimerHeap::next_deadline() noexcept {
  std::lock_guard guard(lock_);
  if (heap_.empty()) return std::nullopt;
  return heap_.front()->deadline;
}

void TimerHeap::place(std::size_t i, TimerNode* node) noexcept {
  heap_[i] = node;
  node->heap_index = i;
}

void TimerHeap::sift_up(std::size_t i) noexcept {
  TimerNode* node = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!(node->deadline < heap_[parent]->deadline)) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, node);
}

void TimerHeap::sift_down(std::size_t i) noexcept {
  TimerNode* node = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->deadline < heap_[child]->deadline) ++child;
    if (!(heap_[child]->deadline < node->deadline)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, node);
}

void TimerHeap::erase_at(std::size_t i) noexcept {
  TimerNode* removed = heap_[i];
  TimerNode* last = heap_.back();
  heap_.pop_back();
  removed->heap_index = TimerNode::not_in_heap;
  if (removed == last) return;
  place(i, last);
  if (i > 0 && last->deadline < heap_[(i - 1) / 2]->deadline) {
    sift_up(i);
  } else {
    sift_down(i);
  }
}

}  // namespace zio::detail
