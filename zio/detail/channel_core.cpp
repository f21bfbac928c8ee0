// Channel hand-off.
//
// Invariants (under lock_):
//  - receivers_ non-empty ⇒ the buffer is empty (a value would have gone to them);
//  - senders_ non-empty ⇒ the buffer is full (size_ == capacity_; 0 for rendezvous).
// A waiting sender's node carries an Op pointing at its value; a receiver that finds it
// moves the value out (into the buffer's free slot, or straight to itself for rendezvous),
// marks the Op done and notifies. A waiting receiver's Op points at its std::optional<T>; a
// sender moves straight into it. Because the notifier completes the transfer before it
// signals, and a signal wins over a cancel that races with it (wait_on), a cancelled waiter
// either completed its transfer or left no trace: no value is lost or duplicated.
#include <zio/detail/channel_core.hpp>

#include <mutex>

namespace zio::detail {

struct ChannelCore::Op {
  void* value = nullptr;  // sender: its T; receiver: its std::optional<T>
  bool done = false;      // the transfer happened
};

ChannelCore::~ChannelCore() {
  ZIO_ASSERT(senders_.empty() && receivers_.empty(), "zio::Channel destroyed while fibers or threads wait on it");
}

TrySend ChannelCore::give_locked(void* value) noexcept {
  if (closed_) return TrySend::closed;
  if (WaitNode* receiver = receivers_.pop_front()) {
    auto* op = reinterpret_cast<Op*>(receiver->data);
    ops_.hand_over(op->value, value);
    op->done = true;
    receiver->notify();
    return TrySend::sent;
  }
  if (size_ < capacity_) {
    try {
      ops_.push(buffer_, value);
    } catch (...) {
      return TrySend::full;  // out of memory growing an unbounded buffer
    }
    ++size_;
    return TrySend::sent;
  }
  return TrySend::full;
}

bool ChannelCore::take_locked(void* out) noexcept {
  if (size_ > 0) {
    ops_.pop(buffer_, out);
    --size_;
    // A slot came free: the longest-waiting sender's value moves into it. push cannot fail
    // here: a bounded buffer only has waiting senders when full, and it just shrank.
    if (WaitNode* sender = senders_.pop_front()) {
      auto* op = reinterpret_cast<Op*>(sender->data);
      ops_.push(buffer_, op->value);
      ++size_;
      op->done = true;
      sender->notify();
    }
    return true;
  }
  if (WaitNode* sender = senders_.pop_front()) {  // rendezvous: straight from the sender
    auto* op = reinterpret_cast<Op*>(sender->data);
    ops_.hand_over(out, op->value);
    op->done = true;
    sender->notify();
    return true;
  }
  return false;
}

TrySend ChannelCore::try_send(void* value) noexcept {
  std::lock_guard guard(lock_);
  return give_locked(value);
}

error_code ChannelCore::send(void* value) noexcept {
  std::unique_lock guard(lock_);
  switch (give_locked(value)) {
    case TrySend::sent: return {};
    case TrySend::closed: return make_error_code(errc::closed);
    case TrySend::full: break;
  }
  if (size_ < capacity_) return make_error_code(boost::system::errc::not_enough_memory);
  Op op{value};
  WaitNode node;
  node.data = reinterpret_cast<std::uintptr_t>(&op);
  if (error_code ec = wait_in_queue(senders_, node, lock_)) return ec;
  return op.done ? error_code{} : make_error_code(errc::closed);
}

bool ChannelCore::try_receive(void* out) noexcept {
  std::lock_guard guard(lock_);
  return take_locked(out);
}

error_code ChannelCore::receive(void* out) noexcept {
  std::unique_lock guard(lock_);
  if (take_locked(out) || closed_) return {};  // closed and drained: *out stays empty
  Op op{out};
  WaitNode node;
  node.data = reinterpret_cast<std::uintptr_t>(&op);
  return wait_in_queue(receivers_, node, lock_);  // {} with *out empty: closed meanwhile
}

void ChannelCore::close() noexcept {
  std::lock_guard guard(lock_);
  closed_ = true;
  while (WaitNode* node = receivers_.pop_front()) node->notify();
  while (WaitNode* node = senders_.pop_front()) node->notify();  // their Op stays not done
}

bool ChannelCore::is_closed() noexcept {
  std::lock_guard guard(lock_);
  return closed_;
}

std::size_t ChannelCore::size() noexcept {
  std::lock_guard guard(lock_);
  return size_;
}

}  // namespace zio::detail
