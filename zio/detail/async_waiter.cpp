#include <zio/detail/async_waiter.hpp>

#include <zio/detail/deadline_timer.hpp>

#include <boost/asio/post.hpp>

#include <mutex>

namespace zio::detail {

void AsyncWaiter::complete() noexcept {
  std::lock_guard lock(lock_);
  completed_ = true;
  // Under the lock: the fiber re-takes it before it returns, so this object outlives the call.
  task_.wake();
}

void AsyncWaiter::request_cancellation(std::unique_lock<SpinLock>& lock) noexcept {
  ++emits_in_flight_;
  lock.unlock();
  try {
    boost::asio::post(operation_executor_, [this] {
      signal_.emit(boost::asio::cancellation_type::terminal);
      std::lock_guard guard(lock_);
      if (--emits_in_flight_ == 0 && completed_) task_.wake();
    });
    lock.lock();
  } catch (...) {
    // Out of memory: the operation cannot be cancelled and is waited for to the end.
    lock.lock();
    --emits_in_flight_;
  }
}

error_code AsyncWaiter::wait(const std::chrono::steady_clock::time_point* deadline) noexcept {
  DeadlineTimer timer;
  const bool armed = timer.arm(task_, deadline);
  error_code why;
  std::unique_lock lock(lock_);
  if (!armed) {
    why = make_error_code(boost::system::errc::not_enough_memory);
    request_cancellation(lock);
  }
  while (!completed_ || emits_in_flight_ > 0) {
    if (!why) {
      if ((why = task_.interruption())) {
        request_cancellation(lock);
        continue;
      }
      if (timer.fired()) {
        why = make_error_code(errc::timed_out);
        request_cancellation(lock);
        continue;
      }
    }
    task_.park(&lock_);
    lock_.lock();
  }
  lock.unlock();
  timer.disarm();
  return why;
}

boost::asio::io_context& current_io(const char* caller) {
  Executor* executor = Executor::current();
  if (!executor || !executor->running_task()) throw NotInFiber(caller);
  return executor->io();
}

}  // namespace zio::detail
