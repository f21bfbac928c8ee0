// Each child is a Child record in running_, linked by spawn and unlinked by the Membership
// in the child's closure when that closure is destroyed: last of the closure's parts, so
// the function's captures and arguments are gone by then. A task's closure is destroyed
// before the task counts as finished, on every path (it ran, it started cancelled and skipped
// its function, no stack could be had, the runtime had stopped), so once running_ is empty
// no child will touch the group, or anything its owner gave it, again.
#include <zio/runtime/task_group.hpp>

#include <zio/runtime/timeout.hpp>

#include <mutex>

namespace zio {

struct TaskGroup::Child : detail::ListHook {
  detail::TaskBase* task = nullptr;  // the handle's reference, for cancel(); set by enroll
};

TaskGroup::TaskGroup() { detail::TaskBase::current_or_throw("zio::TaskGroup"); }

TaskGroup::~TaskGroup() {
  cancel();
  Shield shield;  // the owner may be unwinding from its own cancellation: still wait
  std::unique_lock lock(lock_);
  wait_until_empty();
}

TaskGroup::Membership::Membership(TaskGroup& group) : group_(&group), child_(group.new_child()) {}

TaskGroup::Child* TaskGroup::new_child() { return new Child; }

void TaskGroup::enroll(Child& child, detail::TaskBase& task) noexcept {
  std::lock_guard lock(lock_);
  child.task = &task;  // the reference a JoinHandle would hold; dropped by leave
  running_.push_back(child);
  ++running_count_;
  if (canceling_) task.cancel();
}

void TaskGroup::leave(Child& child) noexcept {
  {
    std::lock_guard lock(lock_);
    // Not linked: spawn failed before the child was queued.
    if (running_.erase(child)) {
      --running_count_;
      if (running_count_ == 0 && waiter_) waiter_->notify();  // under the lock: see wait.cpp
    }
  }
  if (child.task) {
    // As a detached JoinHandle: the task is not finished yet (its closure is being destroyed),
    // so this never frees it; failures were caught by the closure, so nothing is logged.
    child.task->mark_detached();
    child.task->release();
  }
  delete &child;
}

void TaskGroup::child_failed(std::exception_ptr error) noexcept {
  std::lock_guard lock(lock_);
  if (canceling_) return;  // later failures, and the cancellations we caused, are not news
  first_error_ = std::move(error);
  canceling_ = true;
  running_.for_each([](Child& child) { child.task->cancel(); });
}

void TaskGroup::cancel() noexcept {
  std::lock_guard lock(lock_);
  canceling_ = true;
  running_.for_each([](Child& child) { child.task->cancel(); });
}

std::size_t TaskGroup::size() const noexcept {
  std::lock_guard lock(lock_);
  return running_count_;
}

error_code TaskGroup::wait_until_empty() noexcept {
  while (running_count_ != 0) {
    detail::WaitNode node;
    node.task = detail::TaskBase::current();
    waiter_ = &node;
    const error_code ec = detail::wait_on(node, lock_);
    waiter_ = nullptr;
    if (ec) return ec;
  }
  return {};
}

void TaskGroup::wait() {
  error_code ec = detail::enter_fiber_call("zio::TaskGroup::wait");
  std::exception_ptr error;
  {
    std::unique_lock lock(lock_);
    if (!ec) ec = wait_until_empty();
    error = first_error_;
  }
  if (ec) {
    cancel();  // we were cancelled: take the children down with us
    detail::throw_error(ec, "zio::TaskGroup::wait");
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace zio
