#include <zio/sync/mutex.hpp>

#include <zio/runtime/timeout.hpp>

#include <mutex>

namespace zio {

Mutex::~Mutex() { ZIO_ASSERT(waiters_.empty(), "zio::Mutex destroyed while fibers or threads wait on it"); }

bool Mutex::try_lock() noexcept {
  std::lock_guard guard(lock_);
  if (locked_) return false;
  locked_ = true;
  return true;
}

void Mutex::lock() { lock_until(nullptr, "zio::Mutex::lock"); }

void Mutex::lock_uncancelable() noexcept {
  std::unique_lock guard(lock_);
  if (!locked_) {
    locked_ = true;
    return;
  }
  detail::WaitNode node;
  detail::TaskBase* task = detail::TaskBase::current();
  if (task) ++task->shield_depth;  // a shielded wait only ends when it is signaled
  error_code ec = detail::wait_in_queue(task, waiters_, node, lock_);
  if (task) --task->shield_depth;
  ZIO_ASSERT(!ec, "an uncancelable lock wait failed");
}

bool Mutex::try_lock_until(Clock::time_point deadline) { return lock_until(&deadline, "zio::Mutex::try_lock_until"); }

bool Mutex::lock_until(const Clock::time_point* deadline, const char* caller) {
  if (error_code ec = detail::enter_blocking_call()) detail::throw_error(ec, caller);
  std::unique_lock guard(lock_);
  if (!locked_) {
    locked_ = true;
    return true;
  }
  detail::WaitNode node;
  // Signaled means unlock() handed the lock to us: locked_ stayed true.
  return detail::finish_wait(detail::wait_in_queue(waiters_, node, lock_, deadline), guard, caller);
}

void Mutex::unlock() noexcept {
  std::lock_guard guard(lock_);
  ZIO_ASSERT(locked_, "zio::Mutex::unlock of a mutex that is not locked");
  if (detail::WaitNode* next = waiters_.pop_front()) {
    next->notify();  // ownership passes directly: locked_ stays true
  } else {
    locked_ = false;
  }
}

}  // namespace zio
