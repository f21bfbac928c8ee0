#pragma once
// A deadline for one wait of a fiber: a node in its executor's timer heap whose firing wakes
// the fiber. Internal: included by zio's .cpp files only.
#include <zio/detail/executor.hpp>

#include <atomic>
#include <chrono>

namespace zio::detail {

class DeadlineTimer {
 public:
  DeadlineTimer() = default;
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;
  ~DeadlineTimer() { disarm(); }

  /// Arms the timer on the heap of the executor running `task` now (nothing for a null or
  /// infinite deadline). Returns false if the heap could not grow.
  bool arm(TaskBase& task, const std::chrono::steady_clock::time_point* deadline) noexcept {
    if (!deadline || *deadline == std::chrono::steady_clock::time_point::max()) return true;
    node_.deadline = *deadline;
    node_.on_fire = &on_fire;
    task_ = &task;
    try {
      task.executor->timers().add(node_);
    } catch (...) {
      return false;
    }
    // The heap it went into, even if the fiber migrates before disarm().
    heap_ = &task.executor->timers();
    return true;
  }

  /// Takes the timer out of its heap; afterwards on_fire is not running and never will.
  /// Call without holding a wait list's lock (on_fire → wake takes queue locks).
  void disarm() noexcept {
    if (heap_) std::exchange(heap_, nullptr)->remove(node_);
  }

  bool armed() const noexcept { return heap_ != nullptr; }
  bool fired() const noexcept { return fired_.load(std::memory_order_acquire); }

 private:
  static void on_fire(TimerNode& node) noexcept {
    // node_ is the first member: the node's address is the timer's.
    auto& self = reinterpret_cast<DeadlineTimer&>(node);
    self.fired_.store(true, std::memory_order_release);
    self.task_->wake(TaskBase::WakeOrder::fifo);
  }

  TimerNode node_;  // first: on_fire casts back
  TaskBase* task_ = nullptr;
  TimerHeap* heap_ = nullptr;
  std::atomic<bool> fired_{false};
};

}  // namespace zio::detail
