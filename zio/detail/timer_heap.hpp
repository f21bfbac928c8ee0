#pragma once
#include <zio/detail/chaos.hpp>
#include <zio/detail/spin_lock.hpp>
#include <zio/detail/timer_node.hpp>

#include <optional>
#include <vector>

namespace zio::detail {

/// An executor's deadlines: a binary min-heap of TimerNodes that live in fibers' frames.
/// One heap per executor instead of an Asio timer per sleep, which would cost system calls.
///
/// Thread-safe: fibers add on their own executor, but may remove from any thread after they
/// migrated, and cancellation can race with firing. `on_fire` runs under the lock.
class TimerHeap {
 public:
  void add(TimerNode& node);
  /// Removes the node if it is still waiting; false if it fired (or was never added). Either
  /// way, once this returns, on_fire for it is not running and will not run.
  bool remove(TimerNode& node) noexcept;
  /// Fires every node whose deadline is <= now, in deadline order; with `chaos` on, in a
  /// random order among those due. Returns how many fired.
  std::size_t fire_expired(std::chrono::steady_clock::time_point now, Chaos& chaos) noexcept;
  std::optional<std::chrono::steady_clock::time_point> next_deadline() noexcept;

 private:
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void place(std::size_t i, TimerNode* node) noexcept;
  void erase_at(std::size_t i) noexcept;

  SpinLock lock_;
  std::vector<TimerNode*> heap_;  // guarded by lock_
};

}  // namespace zio::detail
