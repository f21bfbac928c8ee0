#include <zio/runtime/task_group.hpp>

#include <zio/runtime/timeout.hpp>

#include <mutex>

namespace zio {

TaskGroup::TaskGroup() { detail::TaskBase::current_or_throw("zio::TaskGroup"); }

TaskGroup::~TaskGroup() {
  cancel();
  Shield shield;  // the owner may be unwinding from its own cancellation: still wait
  for (JoinHandle<void>& child : children_) child.wait();
}

void TaskGroup::reserve_slot() {
  std::lock_guard lock(lock_);
  children_.reserve(children_.size() + 1);  // so add() cannot fail after the child started
}

void TaskGroup::add(JoinHandle<void> child) noexcept {
  std::lock_guard lock(lock_);
  if (canceling_) child.cancel();
  children_.push_back(std::move(child));
}

void TaskGroup::child_failed(std::exception_ptr error) noexcept {
  std::lock_guard lock(lock_);
  if (canceling_) return;  // later failures, and the cancellations we caused, are not news
  first_error_ = std::move(error);
  canceling_ = true;
  for (JoinHandle<void>& child : children_) child.cancel();
}

void TaskGroup::cancel() noexcept {
  std::lock_guard lock(lock_);
  canceling_ = true;
  for (JoinHandle<void>& child : children_) child.cancel();
}

void TaskGroup::wait() {
  // Only this fiber adds children, so the vector does not change while we wait; the handles
  // are only read (wait() is const), so child_failed may cancel them concurrently.
  try {
    for (const JoinHandle<void>& child : children_) child.wait();
  } catch (const Canceled&) {
    cancel();  // we were cancelled: take the children down with us
    throw;
  }
  std::exception_ptr error;
  {
    std::lock_guard lock(lock_);
    error = first_error_;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace zio
