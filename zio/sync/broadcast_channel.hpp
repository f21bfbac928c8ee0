#pragma once
#include <zio/detail/task.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

namespace zio {

template <typename T>
class BroadcastReceiver;

/// Tokio's broadcast channel: every receiver gets every message sent after it subscribed, in
/// order. The channel keeps the last `capacity` messages; send never waits. A receiver that
/// falls further behind is told how many it missed (Lagged) and continues from the oldest
/// kept, so a slow receiver never slows the sender or the others. close() ends each receiver
/// once it has drained. T must be copyable: each receiver gets its own copy. Thread-safe;
/// must outlive its receivers.
template <typename T>
class BroadcastChannel {
 public:
  /// Throws std::invalid_argument for a capacity of 0.
  explicit BroadcastChannel(std::size_t capacity) : ring_(capacity) {
    if (capacity == 0) throw std::invalid_argument("zio::BroadcastChannel: capacity is 0; it must keep at least one message");
  }
  BroadcastChannel(const BroadcastChannel&) = delete;
  BroadcastChannel& operator=(const BroadcastChannel&) = delete;
  ~BroadcastChannel() { ZIO_ASSERT(waiters_.empty(), "zio::BroadcastChannel destroyed while receivers wait on it"); }

  /// A receiver that sees the messages sent from now on.
  BroadcastReceiver<T> subscribe() {
    std::lock_guard guard(lock_);
    return BroadcastReceiver<T>(*this, next_seq_);
  }

  /// Stores the message (dropping the oldest when full) and wakes waiting receivers. Never
  /// waits. Throws system_error(errc::closed) after close().
  void send(T value) {
    std::lock_guard guard(lock_);
    if (closed_) throw system_error(make_error_code(errc::closed), "zio::BroadcastChannel::send");
    ring_[next_seq_ % ring_.size()] = std::move(value);
    ++next_seq_;
    while (detail::WaitNode* node = waiters_.pop_front()) node->notify();
  }

  /// Closes the channel: receivers drain what is kept, then get an empty optional.
  void close() noexcept {
    std::lock_guard guard(lock_);
    closed_ = true;
    while (detail::WaitNode* node = waiters_.pop_front()) node->notify();
  }

 private:
  friend class BroadcastReceiver<T>;

  // One step of a receive for the receiver at `next`: a value, a lag, the end, or wait.
  enum class Step { value, lagged, closed, wait };
  Step try_take(std::uint64_t& next, std::optional<T>& out, std::uint64_t& missed) {
    if (next < next_seq_) {
      const std::uint64_t oldest = next_seq_ > ring_.size() ? next_seq_ - ring_.size() : 0;
      if (next < oldest) {
        missed = oldest - next;
        next = oldest;
        return Step::lagged;
      }
      out = ring_[next % ring_.size()];
      ++next;
      return Step::value;
    }
    return closed_ ? Step::closed : Step::wait;
  }

  detail::SpinLock lock_;
  std::vector<std::optional<T>> ring_;                // guarded by lock_; message n at n % size
  std::uint64_t next_seq_ = 0;                        // guarded by lock_: sequence of the next send
  bool closed_ = false;                               // guarded by lock_
  detail::IntrusiveList<detail::WaitNode> waiters_;  // guarded by lock_: receivers that caught up
};

/// One subscriber of a BroadcastChannel. Move-only; use from one fiber or thread at a time.
template <typename T>
class BroadcastReceiver {
 public:
  /// The next message, waiting for one; empty once the channel is closed and drained.
  /// Throws Lagged (and skips ahead) when messages were lost, Canceled when interrupted.
  std::optional<T> receive() {
    error_code ec;
    std::optional<T> value = receive(ec);
    if (ec == errc::lagged) throw Lagged(missed_);
    if (ec) detail::throw_error(ec, "zio::BroadcastReceiver::receive");
    return value;
  }

  /// As receive(), reporting through `ec`: errc::lagged (see missed()), errc::canceled.
  /// Only T's copy constructor may throw.
  std::optional<T> receive(error_code& ec) {
    if ((ec = detail::enter_blocking_call())) return std::nullopt;
    std::unique_lock guard(channel_->lock_);
    for (;;) {
      std::optional<T> out;
      switch (channel_->try_take(next_, out, missed_)) {
        case BroadcastChannel<T>::Step::value: return out;
        case BroadcastChannel<T>::Step::lagged: ec = make_error_code(errc::lagged); return std::nullopt;
        case BroadcastChannel<T>::Step::closed: return std::nullopt;
        case BroadcastChannel<T>::Step::wait: break;
      }
      detail::WaitNode node;
      if ((ec = detail::wait_in_queue(channel_->waiters_, node, channel_->lock_))) return std::nullopt;
    }
  }

  /// How many messages the last Lagged report said were missed.
  std::uint64_t missed() const noexcept { return missed_; }

 private:
  friend class BroadcastChannel<T>;
  BroadcastReceiver(BroadcastChannel<T>& channel, std::uint64_t next) : channel_(&channel), next_(next) {}

  BroadcastChannel<T>* channel_;
  std::uint64_t next_;  // sequence of the next message this receiver wants
  std::uint64_t missed_ = 0;
};

}  // namespace zio
