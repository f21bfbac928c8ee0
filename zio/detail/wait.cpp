// Waiting on a wait list: the one primitive under joins, sync objects and channels.
//
// Protocol (the list's lock is L, the node lives on the waiter's stack):
//  1. The waiter links its node under L, then calls wait_on(node, L, deadline).
//  2. A fiber parks: the executor releases L only after the switch is complete (see
//     TaskBase::park), so a notifier cannot resume a stack still in use. A thread unlocks L
//     and sleeps on the node's futex word.
//  3. A notifier, holding L, unlinks the node and calls notify(): signaled = 1, then wakes
//     the fiber or the thread.
//  4. The waiter re-takes L before it returns, and returns with L held, so a notifier that
//     still holds L can never touch a node whose frame is gone. (wait_for_handoff, for
//     channels, instead returns once it sees L free after the signal: the notifier has left.)
// A deadline for a fiber is a TimerNode in its executor's heap whose on_fire wakes it; for
// a thread, the futex wait's timeout.
#include <zio/detail/task.hpp>

#include <zio/detail/deadline_timer.hpp>
#include <zio/detail/interleave.hpp>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

namespace zio::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Both take the futex word by address: the waiter's stack frame outlives every call (step 4).
void futex_wake(std::atomic<std::uint32_t>& word) noexcept {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

// Waits while word == 0, until `deadline` if given. Spurious returns are fine: callers loop.
void futex_wait(std::atomic<std::uint32_t>& word, const Clock::time_point* deadline) noexcept {
  timespec timeout{};
  timespec* timeout_ptr = nullptr;
  if (deadline) {
    auto left = *deadline - Clock::now();
    if (left <= Clock::duration::zero()) return;
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
    timeout.tv_sec = static_cast<time_t>(secs.count());
    timeout.tv_nsec = static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(left - secs).count());
    timeout_ptr = &timeout;
  }
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, 0u, timeout_ptr, nullptr, 0);
}

#if defined(__SANITIZE_THREAD__)
#define ZIO_TSAN_WAIT 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ZIO_TSAN_WAIT 1
#endif
#endif

// ThreadSanitizer holds back a signal that arrives while its thread sleeps in a system call
// it does not intercept (this raw futex) until the thread passes one of its interceptors. A
// plain thread blocked in JoinHandle::join() would then keep a SIGTERM meant for a SignalSet
// from ever being handled. Under TSan only, thread waits therefore wake every few
// milliseconds and pass an interceptor (usleep), where TSan delivers what it held back.
void thread_sleep(std::atomic<std::uint32_t>& word, const Clock::time_point* deadline) noexcept {
#ifdef ZIO_TSAN_WAIT
  const Clock::time_point poll = Clock::now() + std::chrono::milliseconds(5);
  const Clock::time_point until = deadline && *deadline < poll ? *deadline : poll;
  futex_wait(word, &until);
  ::usleep(0);
#else
  futex_wait(word, deadline);
#endif
}

error_code thread_wait(WaitNode& node, SpinLock& lock, const Clock::time_point* deadline) noexcept {
  while (node.signaled.load(std::memory_order_acquire) == 0) {
    if (deadline && Clock::now() >= *deadline) return make_error_code(errc::timed_out);
    lock.unlock();
    thread_sleep(node.signaled, deadline);
    lock.lock();
  }
  return {};
}

error_code fiber_wait(WaitNode& node, SpinLock& lock, const Clock::time_point* deadline) noexcept {
  TaskBase& task = *node.task;
  if (!deadline) {
    // Most waits (channels, locks, joins) have no deadline: no timer to arm, check or disarm.
    while (node.signaled.load(std::memory_order_acquire) == 0) {
      if (error_code interrupted = task.interruption()) return interrupted;
      task.park(&lock);
      lock.lock();
    }
    return {};
  }
  DeadlineTimer timer;
  if (!timer.arm(task, deadline)) return make_error_code(boost::system::errc::not_enough_memory);
  error_code result;
  while (node.signaled.load(std::memory_order_acquire) == 0) {
    if ((result = task.interruption())) break;
    if (timer.fired()) {
      result = make_error_code(errc::timed_out);
      break;
    }
    task.park(&lock);
    lock.lock();
  }
  if (timer.armed()) {
    // Drop L first: the heap's lock is never taken inside a wait list's (on_fire → wake →
    // queue locks is the other order).
    lock.unlock();
    timer.disarm();
    lock.lock();
    if (node.signaled.load(std::memory_order_acquire) != 0) result.clear();  // the signal won
  }
  return result;
}

}  // namespace

void WaitNode::notify() noexcept {
  signaled.store(1, std::memory_order_release);
  if (task) {
    task->wake();
  } else {
    futex_wake(signaled);
  }
}

error_code wait_on(WaitNode& node, SpinLock& lock, const Clock::time_point* deadline) noexcept {
  return node.task ? fiber_wait(node, lock, deadline) : thread_wait(node, lock, deadline);
}

error_code wait_in_queue(IntrusiveList<WaitNode>& queue, WaitNode& node, SpinLock& lock,
                         const Clock::time_point* deadline) noexcept {
  return wait_in_queue(TaskBase::current(), queue, node, lock, deadline);
}

error_code wait_in_queue(TaskBase* self, IntrusiveList<WaitNode>& queue, WaitNode& node, SpinLock& lock,
                         const Clock::time_point* deadline) noexcept {
  node.task = self;
  queue.push_back(node);
  error_code ec = wait_on(node, lock, deadline);
  if (ec) queue.erase(node);
  return ec;
}

error_code wait_for_handoff(TaskBase* self, IntrusiveList<WaitNode>& queue, WaitNode& node,
                            std::unique_lock<SpinLock>& guard) noexcept {
  SpinLock& lock = *guard.mutex();
  if (!self) {
    error_code ec = wait_in_queue(nullptr, queue, node, lock);
    if (!ec) guard.unlock();
    return ec;
  }
  node.task = self;
  queue.push_back(node);
  for (;;) {
    if (error_code interrupted = self->interruption()) {
      queue.erase(node);
      return interrupted;
    }
    self->park(&lock);
    interleave_point();
    // Step 4 without the lock: the notifier signals inside its critical section, so once the
    // node is signaled, a free lock means it has left (SpinLock::seen_unlocked) and will not
    // touch the node again. It saves a locked instruction on every hand-off.
    if (node.signaled.load(std::memory_order_acquire) != 0 && lock.seen_unlocked()) {
      guard.release();
      return {};
    }
    lock.lock();
    if (node.signaled.load(std::memory_order_acquire) != 0) {
      guard.unlock();
      return {};
    }
  }
}

bool finish_wait(error_code ec, std::unique_lock<SpinLock>& guard, const char* caller) {
  if (!ec) return true;
  if (ec == errc::timed_out) return false;
  guard.unlock();
  throw_error(ec, caller);
}

}  // namespace zio::detail
