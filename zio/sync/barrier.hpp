#pragma once
#include <zio/detail/task.hpp>
#include <zio/runtime/this_task.hpp>

#include <cstddef>
#include <optional>

namespace zio {

/// A reusable barrier for `count` parties (fibers or threads): each arrive_and_wait() waits
/// until `count` have arrived, then all go on and the barrier starts a new round. Exactly one
/// party per round, the last to arrive, is told it is the leader. Thread-safe.
class Barrier {
 public:
  /// Throws std::invalid_argument for a count of 0.
  explicit Barrier(std::size_t count);
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;
  ~Barrier();

  /// Arrives and waits for the round to complete; true for the round's leader. A cancelled
  /// waiter throws Canceled and withdraws its arrival, so the round still needs `count`.
  bool arrive_and_wait();

  /// As arrive_and_wait, giving up at `deadline`: std::nullopt then, with the arrival
  /// withdrawn. Otherwise whether this party is the round's leader.
  std::optional<bool> arrive_and_wait_until(std::chrono::steady_clock::time_point deadline);
  template <typename Rep, typename Period>
  std::optional<bool> arrive_and_wait_for(std::chrono::duration<Rep, Period> timeout) {
    return arrive_and_wait_until(detail::deadline_after(timeout));
  }

 private:
  std::optional<bool> arrive(const std::chrono::steady_clock::time_point* deadline);

  const std::size_t count_;
  detail::SpinLock lock_;
  std::size_t arrived_ = 0;                          // guarded by lock_
  detail::IntrusiveList<detail::WaitNode> waiters_;  // guarded by lock_
};

}  // namespace zio
