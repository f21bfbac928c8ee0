#include <zio/sync/semaphore.hpp>

#include <mutex>

namespace zio {

Semaphore::~Semaphore() { ZIO_ASSERT(waiters_.empty(), "zio::Semaphore destroyed while fibers or threads wait on it"); }

bool Semaphore::try_acquire() noexcept {
  std::lock_guard guard(lock_);
  if (permits_ == 0) return false;
  --permits_;
  return true;
}

void Semaphore::acquire() { acquire_until(nullptr, "zio::Semaphore::acquire"); }

bool Semaphore::try_acquire_until(Clock::time_point deadline) {
  return acquire_until(&deadline, "zio::Semaphore::try_acquire_until");
}

bool Semaphore::acquire_until(const Clock::time_point* deadline, const char* caller) {
  if (error_code ec = detail::enter_blocking_call()) detail::throw_error(ec, caller);
  std::unique_lock guard(lock_);
  // Free permits only exist while nobody waits (release hands them to waiters first).
  if (permits_ > 0) {
    --permits_;
    return true;
  }
  detail::WaitNode node;
  // Signaled means release() handed us a permit.
  return detail::finish_wait(detail::wait_in_queue(waiters_, node, lock_, deadline), guard, caller);
}

void Semaphore::release(std::size_t n) noexcept {
  std::lock_guard guard(lock_);
  for (; n > 0; --n) {
    detail::WaitNode* node = waiters_.pop_front();
    if (!node) break;
    node->notify();
  }
  permits_ += n;
}

std::size_t Semaphore::available() noexcept {
  std::lock_guard guard(lock_);
  return permits_;
}

}  // namespace zio
