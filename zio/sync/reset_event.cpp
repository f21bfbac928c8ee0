#include <zio/sync/reset_event.hpp>

#include <mutex>

namespace zio {

ResetEvent::~ResetEvent() { ZIO_ASSERT(waiters_.empty(), "zio::ResetEvent destroyed while fibers or threads wait on it"); }

void ResetEvent::set() noexcept {
  std::lock_guard guard(lock_);
  set_.store(true, std::memory_order_release);
  while (detail::WaitNode* node = waiters_.pop_front()) node->notify();
}

void ResetEvent::reset() noexcept {
  std::lock_guard guard(lock_);
  set_.store(false, std::memory_order_release);
}

void ResetEvent::wait() { wait_impl(nullptr, "zio::ResetEvent::wait"); }

bool ResetEvent::wait_until(Clock::time_point deadline) { return wait_impl(&deadline, "zio::ResetEvent::wait_until"); }

bool ResetEvent::wait_impl(const Clock::time_point* deadline, const char* caller) {
  if (error_code ec = detail::enter_blocking_call()) detail::throw_error(ec, caller);
  if (is_set()) return true;
  std::unique_lock guard(lock_);
  if (set_.load(std::memory_order_relaxed)) return true;
  detail::WaitNode node;
  return detail::finish_wait(detail::wait_in_queue(waiters_, node, lock_, deadline), guard, caller);
}

}  // namespace zio
