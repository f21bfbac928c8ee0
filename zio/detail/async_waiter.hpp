#pragma once
// The rendezvous between a fiber and an Asio completion handler, under zio::use_fiber and
// every zio I/O call.
#include <zio/detail/spin_lock.hpp>
#include <zio/detail/task.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>

namespace zio::detail {

/// Lives on the waiting fiber's stack. The handler stores its results, then calls complete();
/// the fiber sleeps in wait() until then.
///
/// Cancelling: when the fiber is cancelled, its with_timeout fires or `deadline` passes, wait()
/// emits a terminal cancellation through the operation's cancellation slot and keeps waiting
/// for the handler (the operation owns buffers on this stack until it completes). The emit is
/// posted to the operation's executor, because a cancellation_signal may only be used on the
/// thread that runs the operation's completions.
class AsyncWaiter {
 public:
  AsyncWaiter(TaskBase& task, boost::asio::any_io_executor operation_executor) noexcept
      : task_(task), operation_executor_(std::move(operation_executor)) {}
  AsyncWaiter(const AsyncWaiter&) = delete;
  AsyncWaiter& operator=(const AsyncWaiter&) = delete;

  boost::asio::cancellation_slot slot() noexcept { return signal_.slot(); }

  /// Handler side, any thread: the results are stored; wakes the fiber.
  void complete() noexcept;

  /// Fiber side: returns once complete() ran and no emit is in flight. Returns why a
  /// cancellation was requested ({}, errc::canceled or errc::timed_out); the operation's own
  /// results say whether it took effect.
  error_code wait(const std::chrono::steady_clock::time_point* deadline) noexcept;

 private:
  void request_cancellation(std::unique_lock<SpinLock>& lock) noexcept;

  TaskBase& task_;
  boost::asio::any_io_executor operation_executor_;
  boost::asio::cancellation_signal signal_;
  SpinLock lock_;
  bool completed_ = false;    // guarded by lock_
  int emits_in_flight_ = 0;   // guarded by lock_
};

/// The io_context of the executor running the calling fiber; throws NotInFiber naming
/// `caller` on a plain thread.
boost::asio::io_context& current_io(const char* caller);

}  // namespace zio::detail
