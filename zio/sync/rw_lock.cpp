#include <zio/sync/rw_lock.hpp>

#include <mutex>

namespace zio {
namespace {
constexpr std::uintptr_t wants_write = 1;
}

RwLock::~RwLock() { ZIO_ASSERT(waiters_.empty(), "zio::RwLock destroyed while fibers or threads wait on it"); }

bool RwLock::try_lock() noexcept {
  std::lock_guard guard(lock_);
  if (writer_ || readers_ != 0 || !waiters_.empty()) return false;
  writer_ = true;
  return true;
}

bool RwLock::try_lock_shared() noexcept {
  std::lock_guard guard(lock_);
  if (writer_ || !waiters_.empty()) return false;
  ++readers_;
  return true;
}

void RwLock::lock() { acquire(true, nullptr, "zio::RwLock::lock"); }
void RwLock::lock_shared() { acquire(false, nullptr, "zio::RwLock::lock_shared"); }
bool RwLock::try_lock_until(Clock::time_point deadline) { return acquire(true, &deadline, "zio::RwLock::try_lock_until"); }
bool RwLock::try_lock_shared_until(Clock::time_point deadline) {
  return acquire(false, &deadline, "zio::RwLock::try_lock_shared_until");
}

bool RwLock::acquire(bool exclusive, const Clock::time_point* deadline, const char* caller) {
  if (error_code ec = detail::enter_blocking_call()) detail::throw_error(ec, caller);
  std::unique_lock guard(lock_);
  // Nobody may pass those already waiting: that is what keeps writers from starving.
  if (waiters_.empty() && !writer_ && (!exclusive || readers_ == 0)) {
    if (exclusive) {
      writer_ = true;
    } else {
      ++readers_;
    }
    return true;
  }
  detail::WaitNode node;
  node.data = exclusive ? wants_write : 0;
  error_code ec = detail::wait_in_queue(waiters_, node, lock_, deadline);
  // Signaled means admit_waiters() granted it; otherwise we may have been the one holding
  // back those behind us.
  if (ec) admit_waiters();
  return detail::finish_wait(ec, guard, caller);
}

void RwLock::unlock() noexcept {
  std::lock_guard guard(lock_);
  ZIO_ASSERT(writer_, "zio::RwLock::unlock without the exclusive lock");
  writer_ = false;
  admit_waiters();
}

void RwLock::unlock_shared() noexcept {
  std::lock_guard guard(lock_);
  ZIO_ASSERT(readers_ > 0, "zio::RwLock::unlock_shared without a shared lock");
  if (--readers_ == 0) admit_waiters();
}

void RwLock::admit_waiters() noexcept {
  // In arrival order: one writer when the lock is free, or a run of readers while no writer
  // holds it; stop at the first waiter that cannot go yet.
  while (detail::WaitNode* next = waiters_.front()) {
    if (next->data == wants_write) {
      if (writer_ || readers_ != 0) return;
      writer_ = true;
      waiters_.pop_front();
      next->notify();
      return;
    }
    if (writer_) return;
    ++readers_;
    waiters_.pop_front();
    next->notify();
  }
}

}  // namespace zio
