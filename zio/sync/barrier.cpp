#include <zio/sync/barrier.hpp>

#include <mutex>
#include <stdexcept>

namespace zio {

Barrier::Barrier(std::size_t count) : count_(count) {
  if (count == 0) throw std::invalid_argument("zio::Barrier: count is 0; a barrier needs at least one party");
}

Barrier::~Barrier() { ZIO_ASSERT(waiters_.empty(), "zio::Barrier destroyed while fibers or threads wait on it"); }

bool Barrier::arrive_and_wait() { return *arrive(nullptr); }

std::optional<bool> Barrier::arrive_and_wait_until(std::chrono::steady_clock::time_point deadline) {
  return arrive(&deadline);
}

std::optional<bool> Barrier::arrive(const std::chrono::steady_clock::time_point* deadline) {
  if (error_code ec = detail::enter_blocking_call()) detail::throw_error(ec, "zio::Barrier::arrive_and_wait");
  std::unique_lock guard(lock_);
  if (++arrived_ == count_) {
    arrived_ = 0;
    while (detail::WaitNode* node = waiters_.pop_front()) node->notify();
    return true;
  }
  detail::WaitNode node;
  error_code ec = detail::wait_in_queue(waiters_, node, lock_, deadline);
  if (!ec) return false;
  --arrived_;  // still linked when it failed, so this round has not completed: withdraw
  if (ec == errc::timed_out) return std::nullopt;
  guard.unlock();
  detail::throw_error(ec, "zio::Barrier::arrive_and_wait");
}

}  // namespace zio
