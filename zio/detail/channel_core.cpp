// Channel hand-off and select.
//
// Invariants (under lock_):
//  - receivers_ holds live waiters only while the buffer is empty;
//  - senders_ holds live waiters only while the buffer is full (0 for rendezvous).
// A waiting sender's node carries an Op pointing at its value; a receiver that finds it
// moves the value out (into the buffer's free slot, or straight to itself for rendezvous),
// marks the Op done and notifies. A waiting receiver's Op points at its std::optional<T>; a
// sender moves straight into it. The notifier completes the transfer before it signals, and
// a signal wins over a cancel that races with it, so a cancelled waiter either completed its
// transfer or left no trace: no value is lost or duplicated.
//
// Select (Go's algorithm, simplified):
//  1. Try every case at once, each under its channel's lock; the first that can complete
//     does, and nothing was registered anywhere.
//  2. Otherwise register a node for every case, each carrying the shared SelectGroup. A
//     counterpart that pops such a node must first claim the group (CAS on `winner`); if
//     another case won already, the node is dead: it skips it and takes the next waiter.
//  3. Wait until the group is signaled, the deadline passes or the fiber is interrupted; the
//     last two claim the group for themselves, so they cannot race with a transfer.
//  4. Unlink every node under its channel's lock. Taking each lock also waits out a
//     counterpart still inside notify, so no node is freed under it.
#include <zio/detail/channel_core.hpp>

#include <zio/detail/executor.hpp>
#include <zio/detail/interleave.hpp>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <new>
#include <vector>

namespace zio::detail {

struct ChannelCore::Op {
  void* value = nullptr;         // sender: its T; receiver: its std::optional<T>
  bool done = false;             // the transfer happened
  SelectGroup* group = nullptr;  // set for a select's node
  int case_index = 0;
};

void SelectGroup::signal() noexcept {
  signaled.store(1, std::memory_order_release);
  if (task) {
    task->wake();
  } else {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&signaled), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
  }
}

ChannelCore::~ChannelCore() {
  ZIO_ASSERT(senders_.empty() && receivers_.empty(), "zio::Channel destroyed while fibers or threads wait on it");
}

WaitNode* ChannelCore::pop_claimable(IntrusiveList<WaitNode>& queue) noexcept {
  while (WaitNode* node = queue.pop_front()) {
    auto* op = reinterpret_cast<Op*>(node->data);
    if (!op->group || op->group->claim(op->case_index)) return node;
    // A select whose other case already fired: its node is dead, skip it.
  }
  return nullptr;
}

void ChannelCore::complete(WaitNode& node) noexcept {
  auto* op = reinterpret_cast<Op*>(node.data);
  op->done = true;
  interleave_point();  // the waiter may be looking at its node right now (wait_for_handoff)
  if (op->group) {
    op->group->signal();
  } else {
    node.notify();
  }
}

TrySend ChannelCore::give_locked(void* value) noexcept {
  if (closed_) return TrySend::closed;
  if (WaitNode* receiver = pop_claimable(receivers_)) {
    ops_.hand_over(reinterpret_cast<Op*>(receiver->data)->value, value);
    complete(*receiver);
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
    if (WaitNode* sender = pop_claimable(senders_)) {
      ops_.push(buffer_, reinterpret_cast<Op*>(sender->data)->value);
      ++size_;
      complete(*sender);
    }
    return true;
  }
  if (WaitNode* sender = pop_claimable(senders_)) {  // rendezvous: straight from the sender
    ops_.hand_over(out, reinterpret_cast<Op*>(sender->data)->value);
    complete(*sender);
    return true;
  }
  return false;
}

TrySend ChannelCore::try_send(void* value) noexcept {
  std::lock_guard guard(lock_);
  return give_locked(value);
}

error_code ChannelCore::send(void* value) noexcept {
  TaskBase* self = TaskBase::current();  // looked up once: a thread-local read through a call
  if (error_code ec = enter_blocking_call(self)) return ec;
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
  if (error_code ec = wait_for_handoff(self, senders_, node, guard)) return ec;
  return op.done ? error_code{} : make_error_code(errc::closed);
}

bool ChannelCore::try_receive(void* out) noexcept {
  std::lock_guard guard(lock_);
  return take_locked(out);
}

error_code ChannelCore::receive(void* out) noexcept {
  TaskBase* self = TaskBase::current();
  if (error_code ec = enter_blocking_call(self)) return ec;
  std::unique_lock guard(lock_);
  if (take_locked(out) || closed_) {  // closed and drained: *out stays empty
    return {};
  }
  Op op{out};
  WaitNode node;
  node.data = reinterpret_cast<std::uintptr_t>(&op);
  return wait_for_handoff(self, receivers_, node, guard);  // {} with *out empty: closed meanwhile
}

void ChannelCore::close() noexcept {
  std::lock_guard guard(lock_);
  closed_ = true;
  // Waiters leave with their Op not done: receivers see the end, senders keep their value.
  // A select's node must still win its group to report the close.
  for (auto* queue : {&receivers_, &senders_}) {
    while (WaitNode* node = pop_claimable(*queue)) {
      auto* op = reinterpret_cast<Op*>(node->data);
      if (op->group) {
        op->group->signal();
      } else {
        node->notify();
      }
    }
  }
}

bool ChannelCore::is_closed() noexcept {
  std::lock_guard guard(lock_);
  return closed_;
}

std::size_t ChannelCore::size() noexcept {
  std::lock_guard guard(lock_);
  return size_;
}

using Clock = std::chrono::steady_clock;

// Locks every distinct channel of a select, in address order so that two selects over the
// same channels cannot deadlock (single operations only ever hold one channel lock).
class AllChannelsLock {
 public:
  AllChannelsLock(SelectCase* cases, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      if (cases[i].channel) locks_.push_back(cases[i].channel);
    }
    std::sort(locks_.begin(), locks_.end());
    locks_.erase(std::unique(locks_.begin(), locks_.end()), locks_.end());
    for (ChannelCore* c : locks_) lock_of(*c).lock();
  }
  ~AllChannelsLock() { unlock(); }
  void unlock() noexcept {
    for (auto it = locks_.rbegin(); it != locks_.rend(); ++it) lock_of(**it).unlock();
    locks_.clear();
  }
  static SpinLock& lock_of(ChannelCore& c) noexcept;

 private:
  std::vector<ChannelCore*> locks_;
};

SpinLock& AllChannelsLock::lock_of(ChannelCore& c) noexcept { return c.lock_; }

int select_cases(SelectCase* cases, std::size_t count, const Clock::time_point* deadline, bool non_blocking) {
  TaskBase* task = TaskBase::current();
  if (task) {
    // A blocking call even when a case is ready at once (or a default fires): a fiber that
    // loops on select, or on receive_for over a full channel, must still let the others on
    // its executor run (issue 17, bugs 4 and 5).
    task->consume_budget();
    if (!non_blocking) task->throw_if_interrupted("zio::select");
  }
  SelectGroup group;
  group.task = task;
  std::vector<ChannelCore::Op> ops(count);
  std::vector<WaitNode> nodes(count);
  {
    AllChannelsLock all(cases, count);
    // Pass 1: a case that can complete now does, and nothing is registered anywhere. Start
    // at a rotating index so that, as in Go, no ready case starves the others.
    static std::atomic<std::size_t> rotation{0};
    const std::size_t start = count ? rotation.fetch_add(1, std::memory_order_relaxed) % count : 0;
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t i = (start + k) % count;
      SelectCase& c = cases[i];
      if (!c.channel) continue;  // switched off
      ChannelCore& ch = *c.channel;
      if (c.is_send) {
        const TrySend r = ch.give_locked(c.value);
        if (r == TrySend::full) continue;
        c.closed = r == TrySend::closed;
        return static_cast<int>(i);
      }
      const bool took = ch.take_locked(c.value);
      if (took || ch.closed_) {
        c.closed = !took;
        return static_cast<int>(i);
      }
    }
    if (non_blocking) return -1;
    if (task) task->throw_if_interrupted("zio::select");
    // Pass 2: a node in every channel, all pointing at our group.
    for (std::size_t i = 0; i < count; ++i) {
      SelectCase& c = cases[i];
      if (!c.channel) continue;
      ops[i].value = c.value;
      ops[i].group = &group;
      ops[i].case_index = static_cast<int>(i);
      nodes[i].task = task;
      nodes[i].data = reinterpret_cast<std::uintptr_t>(&ops[i]);
      (c.is_send ? c.channel->senders_ : c.channel->receivers_).push_back(nodes[i]);
    }
  }

  // Step 3: wait for a counterpart, the deadline or an interruption.
  struct DeadlineTimer {
    TimerNode timer;  // first: on_fire casts back
    SelectGroup* group;
    static void on_fire(TimerNode& node) noexcept {
      auto& self = reinterpret_cast<DeadlineTimer&>(node);
      if (self.group->claim(SelectGroup::timed_out)) self.group->signal();
    }
  } timer{{}, &group};
  TimerHeap* heap = nullptr;
  if (deadline && task && *deadline != Clock::time_point::max()) {
    timer.timer.deadline = *deadline;
    timer.timer.on_fire = &DeadlineTimer::on_fire;
    heap = &task->executor->timers();
    try {
      heap->add(timer.timer);
    } catch (...) {
      heap = nullptr;
      group.claim(SelectGroup::interrupted);  // cannot time the wait: give up at once
    }
  }
  while (group.winner.load(std::memory_order_acquire) == SelectGroup::open) {
    if (task) {
      if (task->interruption()) {
        if (group.claim(SelectGroup::interrupted)) break;
        continue;  // a case won meanwhile: its transfer is done or under way
      }
      task->park(nullptr);
      continue;
    }
    if (deadline && Clock::now() >= *deadline) {
      if (group.claim(SelectGroup::timed_out)) break;
      continue;
    }
    timespec ts{};
    timespec* tsp = nullptr;
    if (deadline) {
      auto left = *deadline - Clock::now();
      if (left < Clock::duration::zero()) left = Clock::duration::zero();
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
      ts.tv_sec = static_cast<time_t>(secs.count());
      ts.tv_nsec = static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(left - secs).count());
      tsp = &ts;
    }
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&group.signaled), FUTEX_WAIT_PRIVATE, 0u, tsp, nullptr, 0);
  }
  if (heap) heap->remove(timer.timer);  // after this, on_fire is not running

  // Step 4: unlink every node; taking each lock also waits out a counterpart that claimed us
  // and is still transferring or signalling under it.
  for (std::size_t i = 0; i < count; ++i) {
    if (!cases[i].channel) continue;
    ChannelCore& ch = *cases[i].channel;
    std::lock_guard guard(AllChannelsLock::lock_of(ch));
    (cases[i].is_send ? ch.senders_ : ch.receivers_).erase(nodes[i]);
  }
  const int winner = group.winner.load(std::memory_order_acquire);
  if (winner == SelectGroup::interrupted) {
    if (task) task->throw_if_interrupted("zio::select");
    throw std::bad_alloc();  // the only other way to get here: no memory for the timer
  }
  if (winner == SelectGroup::timed_out) return -2;
  // A counterpart claimed this case: it transferred (done), or the channel was closed.
  cases[winner].closed = !ops[static_cast<std::size_t>(winner)].done;
  return winner;
}

}  // namespace zio::detail
