#include <zio/runtime/timeout.hpp>

#include <zio/detail/executor.hpp>

namespace zio {
namespace detail {

TimeoutScope::TimeoutScope(Clock::time_point deadline)
    : task_(&TaskBase::current_or_throw("zio::with_timeout")) {
  timer_.deadline = deadline;
  timer_.on_fire = &TimeoutScope::on_fire;
  if (deadline == Clock::time_point::max()) return;  // never fires: stay out of the heap
  task_->executor->timers().add(timer_);
}

TimeoutScope::~TimeoutScope() {
  if (timer_.heap) timer_.heap->remove(timer_);  // after this, on_fire is not running
  if (fired_.load(std::memory_order_acquire)) task_->fired_timeouts.fetch_sub(1, std::memory_order_acq_rel);
}

bool TimeoutScope::fired() const noexcept { return fired_.load(std::memory_order_acquire); }

void TimeoutScope::on_fire(TimerNode& node) noexcept {
  auto& self = reinterpret_cast<TimeoutScope&>(node);
  self.fired_.store(true, std::memory_order_release);
  self.task_->fired_timeouts.fetch_add(1, std::memory_order_acq_rel);
  self.task_->wake(detail::TaskBase::WakeOrder::fifo);
}

}  // namespace detail

Shield::Shield() : task_(&detail::TaskBase::current_or_throw("zio::Shield")) { ++task_->shield_depth; }

Shield::~Shield() { --task_->shield_depth; }

}  // namespace zio
