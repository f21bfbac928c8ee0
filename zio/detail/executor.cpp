// The executor loop.
//
//   loop:
//     run ready tasks: the run-next slot first (at most 3 in a row), then the local queue;
//         every 61 tasks also drain the inbox, fire timers and poll the io_context so a busy
//         queue cannot starve I/O or other threads' wake-ups;
//     when nothing is ready: fire expired timers, drain the inbox, and if still nothing is
//         ready, park in io_context::run_one_until(next deadline) (epoll_wait: no CPU).
//
// Parking protocol (no lost wake-up):
//   parker: sleeping_ = true (seq_cst); if inbox_size_ != 0 or the stop condition holds:
//           sleeping_ = false, don't park.
//   waker:  push to the inbox, inbox_size_++ (seq_cst); if sleeping_.exchange(false): post a
//           no-op to the io_context, which ends run_one.
// Both sides store then load in seq_cst order, so at least one sees the other's store.
//
// After a task switches back, its SwitchReason says what to do:
//   yield  → queue it at the back;
//   park   → release its park lock, then CAS parking→waiting. If a waker came meanwhile it
//            set `notified`, the CAS fails and the task is queued again instead of sleeping.
//            This is why a waiter is published only after the switch finished: nobody can
//            resume a stack that is still in use.
//   finish → return the stack to the pool and complete the task.
#include <zio/detail/executor.hpp>

#include <zio/coro/overflow_guard.hpp>
#include <zio/detail/runtime_core.hpp>

#include <boost/asio/post.hpp>

namespace zio::detail {
namespace {

__attribute__((tls_model("initial-exec"))) thread_local Executor* tls_executor = nullptr;

// Budget of consecutive run-next picks, and how often a busy loop looks outside (Go's 61).
constexpr unsigned max_run_next_streak = 3;
constexpr unsigned outside_check_interval = 61;

}  // namespace

// noinline plus the empty asm make every call read this thread's slot afresh: without them
// g++ and clang keep the TLS address across a call that switched fibers, and a fiber resumed
// on another thread would read the previous thread's executor.
__attribute__((noinline)) Executor* Executor::current() noexcept {
  Executor** slot = &tls_executor;
  asm volatile("" : "+r"(slot));
  return *slot;
}

void TaskQueue::push_back(TaskBase& task) noexcept {
  task.next_ready.store(nullptr, std::memory_order_relaxed);
  if (tail_) {
    tail_->next_ready.store(&task, std::memory_order_relaxed);
  } else {
    head_ = &task;
  }
  tail_ = &task;
}

TaskBase* TaskQueue::pop_front() noexcept {
  TaskBase* task = head_;
  if (!task) return nullptr;
  head_ = task->next_ready.load(std::memory_order_relaxed);
  if (!head_) tail_ = nullptr;
  return task;
}

void TaskQueue::splice_back(TaskQueue& other) noexcept {
  if (other.empty()) return;
  if (tail_) {
    tail_->next_ready.store(other.head_, std::memory_order_relaxed);
  } else {
    head_ = other.head_;
  }
  tail_ = other.tail_;
  other.head_ = other.tail_ = nullptr;
}

Executor::Executor(RuntimeCore& core, std::size_t index)
    : core_(core), index_(index), stacks_(core.options().stack_size, core.options().max_cached_stacks) {}

Executor::~Executor() = default;

void Executor::schedule(TaskBase& task, bool prefer_next) noexcept {
  if (current() == this) {
    push_local(task, prefer_next);
  } else {
    push_remote(task);
  }
}

void Executor::push_local(TaskBase& task, bool prefer_next) noexcept {
  if (!prefer_next) {
    ready_.push_back(task);
    return;
  }
  if (run_next_) ready_.push_back(*run_next_);
  run_next_ = &task;
}

void Executor::push_remote(TaskBase& task) noexcept {
  inbox_lock_.lock();
  inbox_.push_back(task);
  inbox_size_.fetch_add(1, std::memory_order_seq_cst);
  inbox_lock_.unlock();
  unpark();
}

void Executor::unpark() noexcept {
  if (sleeping_.exchange(false, std::memory_order_seq_cst)) {
    try {
      boost::asio::post(io_, [] {});
    } catch (...) {
      // Allocation failure: the parker wakes at its next deadline at worst.
    }
  }
}

bool Executor::drain_inbox() noexcept {
  if (inbox_size_.load(std::memory_order_acquire) == 0) return false;
  inbox_lock_.lock();
  ready_.splice_back(inbox_);
  inbox_size_.store(0, std::memory_order_relaxed);
  inbox_lock_.unlock();
  return true;
}

TaskBase* Executor::next_local() noexcept {
  if (run_next_ && run_next_streak_ < max_run_next_streak) {
    ++run_next_streak_;
    return std::exchange(run_next_, nullptr);
  }
  run_next_streak_ = 0;
  if (TaskBase* task = ready_.pop_front()) return task;
  return std::exchange(run_next_, nullptr);
}

void Executor::run(StopCondition done) {
  Executor* outer = tls_executor;
  tls_executor = this;
  AltSignalStack alt_stack;
  unsigned tick = 0;
  while (!done()) {
    if (TaskBase* task = next_local()) {
      run_task(*task);
      if (++tick % outside_check_interval == 0) {
        drain_inbox();
        timers_.fire_expired(std::chrono::steady_clock::now());
        io_.poll();
      }
      continue;
    }
    timers_.fire_expired(std::chrono::steady_clock::now());
    drain_inbox();
    if (!ready_.empty() || run_next_ || done()) continue;
    park(done);
  }
  tls_executor = outer;
}

void Executor::park(StopCondition done) {
  auto deadline = timers_.next_deadline();
  sleeping_.store(true, std::memory_order_seq_cst);
  // Re-check both after announcing sleep: whoever changes them calls unpark() afterwards.
  if (inbox_size_.load(std::memory_order_seq_cst) != 0 || done()) {
    sleeping_.store(false, std::memory_order_relaxed);
    return;
  }
  // run_one_until rounds the epoll timeout up to whole milliseconds: never early.
  if (deadline) {
    io_.run_one_until(*deadline);
  } else {
    io_.run_one();
  }
  sleeping_.store(false, std::memory_order_relaxed);
}

void Executor::run_task(TaskBase& task) noexcept {
  task.executor = this;
  if (!task.started()) {
    if (task.interruption()) {
      task.finish_unstarted(std::make_exception_ptr(Canceled("zio: task cancelled before it started")));
      return;
    }
    Stack stack;
    try {
      stack = stacks_.acquire();
    } catch (...) {
      task.finish_unstarted(std::current_exception());  // no memory for a stack: bad_alloc
      return;
    }
    task.start(stack, [](Coroutine& coroutine) { static_cast<TaskBase&>(coroutine).run_body(); });
  }
  task.state.store(task_running, std::memory_order_relaxed);
  task.switch_reason = SwitchReason::finish;
  running_ = &task;
  task.resume();
  running_ = nullptr;

  switch (task.switch_reason) {
    case SwitchReason::yield:
      task.state.store(task_ready, std::memory_order_relaxed);
      ready_.push_back(task);
      break;
    case SwitchReason::park: {
      if (SpinLock* lock = std::exchange(task.park_unlock, nullptr)) lock->unlock();
      std::uint32_t expected = task_parking;
      if (!task.state.compare_exchange_strong(expected, task_waiting, std::memory_order_acq_rel)) {
        // A wake-up arrived while it was switching out (expected has task_notified set).
        task.state.store(task_ready, std::memory_order_relaxed);
        ready_.push_back(task);
      }
      break;
    }
    case SwitchReason::finish:
      stacks_.release(task.take_stack());
      task.on_finished();
      break;
  }
}

}  // namespace zio::detail
