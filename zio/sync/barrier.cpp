#include <zio/sync/barrier.hpp>

#include <mutex>
#include <stdexcept>

namespace zio {

Barrier::Barrier(std::size_t count) : count_(count) {
  if (count == 0) throw std::invalid_argument("zio::Barrier: count is 0; a barrier needs at least one party");
}

Barrier::~Barrier() { ZIO_ASSERT(waiters_.empty(), "zio::Barrier destroyed while fibers or threads wait on it"); }

bool Barrier::arrive_and_wait() {
  std::unique_lock guard(lock_);
  if (++arrived_ == count_) {
    arrived_ = 0;
    while (detail::WaitNode* node = waiters_.pop_front()) node->notify();
    return true;
  }
  detail::WaitNode node;
  error_code ec = detail::wait_in_queue(waiters_, node, lock_);
  if (!ec) return false;
  --arrived_;  // still linked when it failed, so this round has not completed: withdraw
  guard.unlock();
  detail::throw_error(ec, "zio::Barrier::arrive_and_wait");
}

}  // namespace zio
