#include <zio/runtime/this_task.hpp>

#include <zio/detail/executor.hpp>

namespace zio {
namespace {

struct SleepNode {
  detail::TimerNode timer;  // first: on_fire casts back
  detail::TaskBase* task;
  std::atomic<bool> fired{false};

  static void on_fire(detail::TimerNode& node) noexcept {
    auto& self = reinterpret_cast<SleepNode&>(node);
    self.fired.store(true, std::memory_order_release);
    self.task->wake();
  }
};

}  // namespace

void yield() {
  auto& task = detail::TaskBase::current_or_throw("zio::yield");
  task.throw_if_interrupted("zio::yield");
  task.yield_now();
}

void sleep_until(Clock::time_point deadline) {
  auto& task = detail::TaskBase::current_or_throw("zio::sleep_until");
  task.throw_if_interrupted("zio::sleep_until");
  if (deadline <= Clock::now()) return;

  SleepNode node;
  node.timer.deadline = deadline;
  node.timer.on_fire = &SleepNode::on_fire;
  node.task = &task;
  detail::TimerHeap& heap = task.executor->timers();
  heap.add(node.timer);
  while (!node.fired.load(std::memory_order_acquire)) {
    if (task.interruption()) break;
    task.park(nullptr);
  }
  // Always under the heap's lock, even if it fired: on_fire may still be inside wake().
  heap.remove(node.timer);
  if (!node.fired.load(std::memory_order_acquire)) task.throw_if_interrupted("zio::sleep_until");
}

TaskId current_task_id() noexcept {
  auto* task = detail::TaskBase::current();
  return task ? task->id() : 0;
}

bool in_fiber() noexcept { return detail::TaskBase::current() != nullptr; }

}  // namespace zio
