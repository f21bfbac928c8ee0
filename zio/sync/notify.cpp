#include <zio/sync/notify.hpp>

#include <mutex>

namespace zio {

Notify::~Notify() { ZIO_ASSERT(waiters_.empty(), "zio::Notify destroyed while fibers or threads wait on it"); }

void Notify::notify_one() noexcept {
  std::lock_guard guard(lock_);
  if (detail::WaitNode* node = waiters_.pop_front()) {
    node->notify();
  } else {
    permit_ = true;
  }
}

void Notify::notify_all() noexcept {
  std::lock_guard guard(lock_);
  while (detail::WaitNode* node = waiters_.pop_front()) node->notify();
}

void Notify::wait() { wait_impl(nullptr, "zio::Notify::wait"); }

bool Notify::wait_until(Clock::time_point deadline) { return wait_impl(&deadline, "zio::Notify::wait_until"); }

bool Notify::wait_impl(const Clock::time_point* deadline, const char* caller) {
  if (error_code ec = detail::enter_blocking_call()) detail::throw_error(ec, caller);
  std::unique_lock guard(lock_);
  if (permit_) {
    permit_ = false;
    return true;
  }
  detail::WaitNode node;
  return detail::finish_wait(detail::wait_in_queue(waiters_, node, lock_, deadline), guard, caller);
}

}  // namespace zio
