#include <zio/sync/condition.hpp>

#include <stdexcept>

namespace zio {

Condition::~Condition() { ZIO_ASSERT(waiters_.empty(), "zio::Condition destroyed while fibers or threads wait on it"); }

void Condition::wait(std::unique_lock<Mutex>& lock) { wait_impl(lock, nullptr); }

std::cv_status Condition::wait_until(std::unique_lock<Mutex>& lock, Clock::time_point deadline) {
  return wait_impl(lock, &deadline);
}

std::cv_status Condition::wait_impl(std::unique_lock<Mutex>& lock, const Clock::time_point* deadline) {
  if (!lock.owns_lock()) throw std::logic_error("zio::Condition::wait: the unique_lock does not hold its mutex");
  if (error_code entry = detail::enter_blocking_call()) detail::throw_error(entry, "zio::Condition::wait");
  error_code ec;
  {
    std::unique_lock guard(lock_);
    // Queue first, then unlock the mutex: a notify after the unlock finds us queued.
    detail::WaitNode node;
    node.task = detail::TaskBase::current();
    waiters_.push_back(node);
    lock.mutex()->unlock();
    ec = detail::wait_on(node, lock_, deadline);
    if (ec) waiters_.erase(node);
  }
  lock.mutex()->lock_uncancelable();  // re-lock even when cancelled: the caller's lock owns it
  if (ec == errc::timed_out) return std::cv_status::timeout;
  if (ec) detail::throw_error(ec, "zio::Condition::wait");
  return std::cv_status::no_timeout;
}

void Condition::notify_one() noexcept {
  std::lock_guard guard(lock_);
  if (detail::WaitNode* node = waiters_.pop_front()) node->notify();
}

void Condition::notify_all() noexcept {
  std::lock_guard guard(lock_);
  while (detail::WaitNode* node = waiters_.pop_front()) node->notify();
}

}  // namespace zio
