#pragma once
#include <atomic>

namespace zio::detail {

/// A test-and-test-and-set lock for the short critical sections of wait lists and queues.
/// Never held across a fiber switch except by the suspend protocol, which releases it on the
/// executor's stack right after the switch (see TaskBase::park).
class SpinLock {
 public:
  void lock() noexcept {
    for (;;) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) __builtin_ia32_pause();
    }
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }
  /// True when the lock was free at this moment; acquires what its last holder wrote. Once a
  /// waiter has seen a flag set inside a critical section, seeing the lock free means that
  /// section's holder has left it: the free state read is its unlock's or a later one.
  bool seen_unlocked() const noexcept { return !locked_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace zio::detail
