#pragma once
// The type-erased engine under Channel<T> and select: waiting, hand-off and closing are
// compiled once; the template only supplies how to move a T (ChannelOps).
#include <zio/detail/task.hpp>

#include <chrono>
#include <cstddef>

namespace zio::detail {

/// How the core moves values it cannot see.
struct ChannelOps {
  /// Moves *value (a T) to the back of the buffer (may throw std::bad_alloc).
  void (*push)(void* buffer, void* value);
  /// Moves the buffer's front into *out (a std::optional<T>) and pops it.
  void (*pop)(void* buffer, void* out) noexcept;
  /// Emplaces *out (a std::optional<T>) from *value (a T), moving.
  void (*hand_over)(void* out, void* value) noexcept;
};

enum class TrySend { sent, full, closed };

/// The waiter of one select: its cases' nodes sit in several channels' queues, and the first
/// counterpart to claim the group decides which case fires. Lives on the selecting stack.
struct SelectGroup {
  static constexpr int open = -1, interrupted = -2, timed_out = -3;
  std::atomic<int> winner{open};
  std::atomic<std::uint32_t> signaled{0};  // futex word for a selecting thread
  TaskBase* task = nullptr;

  bool claim(int case_index) noexcept {
    int expected = open;
    return winner.compare_exchange_strong(expected, case_index, std::memory_order_acq_rel);
  }
  void signal() noexcept;
};

class ChannelCore;
class AllChannelsLock;

/// One case of a select, as the core sees it.
struct SelectCase {
  ChannelCore* channel = nullptr;  // nullptr: switched off (Go's nil channel), never fires
  bool is_send = false;
  void* value = nullptr;  // send: the T to send; receive: the std::optional<T> to fill
  bool closed = false;    // out: the case fired because the channel was closed
};

/// Waits until one case can complete and completes it (exactly one: the others leave no
/// trace). Returns its index; with `non_blocking`, -1 when none is ready at once; -2 when
/// `deadline` passed first. Throws Canceled when the fiber is interrupted. A case on a
/// closed channel completes with `closed` set (a send then did not happen).
int select_cases(SelectCase* cases, std::size_t count, const std::chrono::steady_clock::time_point* deadline,
                 bool non_blocking);

class ChannelCore {
 public:
  static constexpr std::size_t unbounded = static_cast<std::size_t>(-1);

  ChannelCore(std::size_t capacity, void* buffer, const ChannelOps& ops) noexcept
      : capacity_(capacity), buffer_(buffer), ops_(ops) {}
  ~ChannelCore();

  /// Moves *value in (or to a waiting receiver), waiting while full. On an error *value is
  /// untouched: errc::closed, errc::canceled.
  error_code send(void* value) noexcept;
  TrySend try_send(void* value) noexcept;
  /// Fills *out (a std::optional<T>); leaves it empty when the channel is closed and drained.
  /// errc::canceled when interrupted (nothing taken).
  error_code receive(void* out) noexcept;
  /// True when a value was taken; false when empty (or closed and drained).
  bool try_receive(void* out) noexcept;
  void close() noexcept;
  bool is_closed() noexcept;
  std::size_t size() noexcept;

 private:
  friend int select_cases(SelectCase*, std::size_t, const std::chrono::steady_clock::time_point*, bool);
  friend class AllChannelsLock;
  struct Op;  // what a waiting sender or receiver offers; lives on its stack

  TrySend give_locked(void* value) noexcept;
  bool take_locked(void* out) noexcept;
  WaitNode* pop_claimable(IntrusiveList<WaitNode>& queue) noexcept;
  static void complete(WaitNode& node) noexcept;

  const std::size_t capacity_;
  void* const buffer_;
  const ChannelOps ops_;
  SpinLock lock_;
  std::size_t size_ = 0;                      // values in the buffer; guarded by lock_
  bool closed_ = false;                       // guarded by lock_
  IntrusiveList<WaitNode> senders_;           // guarded by lock_: full, waiting to send
  IntrusiveList<WaitNode> receivers_;         // guarded by lock_: empty, waiting to receive
};

}  // namespace zio::detail
