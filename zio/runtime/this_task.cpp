#include <zio/runtime/this_task.hpp>

#include <zio/runtime/spawn.hpp>

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
    self.task->wake(detail::TaskBase::WakeOrder::fifo);
  }
};

}  // namespace

void yield() {
  auto& task = detail::TaskBase::current_or_throw("zio::yield");
  task.throw_if_interrupted("zio::yield");
  task.yield_now();
}

void sleep_until(Clock::time_point deadline) {
  error_code ec;
  sleep_until(deadline, ec);
  if (ec) detail::throw_error(ec, "zio::sleep_until");
}

void sleep_until(Clock::time_point deadline, error_code& ec) noexcept {
  ec.clear();
  auto* task = detail::TaskBase::current();
  if (!task) {
    ec = make_error_code(errc::not_in_fiber);
    return;
  }
  if ((ec = task->interruption())) return;
  if (deadline <= Clock::now()) {
    task->consume_budget();
    return;
  }

  SleepNode node;
  node.timer.deadline = deadline;
  node.timer.on_fire = &SleepNode::on_fire;
  node.task = task;
  detail::TimerHeap& heap = task->executor->timers();
  try {
    heap.add(node.timer);
  } catch (const std::bad_alloc&) {
    ec = make_error_code(boost::system::errc::not_enough_memory);
    return;
  }
  while (!node.fired.load(std::memory_order_acquire)) {
    if (task->interruption()) break;
    task->park(nullptr);
  }
  // Always under the heap's lock, even if it fired: on_fire may still be inside wake().
  heap.remove(node.timer);
  if (!node.fired.load(std::memory_order_acquire)) ec = task->interruption();
}

TaskId current_task_id() noexcept {
  auto* task = detail::TaskBase::current();
  return task ? task->id() : 0;
}

std::ptrdiff_t current_executor_index() noexcept {
  auto* executor = detail::Executor::current();
  return executor ? static_cast<std::ptrdiff_t>(executor->index()) : -1;
}

bool in_fiber() noexcept { return detail::TaskBase::current() != nullptr; }

}  // namespace zio
