#pragma once
// The type-erased task (fiber) behind spawn and JoinHandle. Everything non-template lives in
// task.cpp; the templates here only add the closure and the result slot.
#include <zio/coro/coroutine.hpp>
#include <zio/detail/frame_alloc.hpp>
#include <zio/detail/intrusive_list.hpp>
#include <zio/detail/spin_lock.hpp>
#include <zio/error.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <new>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace zio {
/// A task's id: unique within the process, never 0.
using TaskId = std::uint64_t;
}  // namespace zio

namespace zio::detail {

class Executor;
class RuntimeCore;

/// A waiter on some wait list: a fiber (task != nullptr) or a plain thread. Lives on the
/// waiter's stack; the wait list's lock guards `signaled` writes and the links.
struct WaitNode : ListHook {
  class TaskBase* task = nullptr;
  std::atomic<std::uint32_t> signaled{0};  // a futex word for thread waiters
  std::uintptr_t data = 0;                  // what the waiter wants (a count, a kind), per primitive

  /// Marks the node signaled and wakes its waiter. Call with the wait list's lock held: the
  /// waiter re-takes that lock (or sees it free) before it leaves, so the node outlives this
  /// call.
  void notify() noexcept;
};

/// Blocks the current fiber (or plain thread) until `node` is signaled, with `lock` held on
/// entry and on return; `node` must already be on a list guarded by `lock`. Returns {} when
/// signaled (a signal wins over a cancel or deadline that came at the same time);
/// errc::timed_out when `deadline` (if any) passed first; errc::canceled when the fiber was
/// cancelled or a with_timeout around it fired (unless shielded). On an error the node is
/// still linked: the caller unlinks it. Plain threads cannot be cancelled.
error_code wait_on(WaitNode& node, SpinLock& lock,
                   const std::chrono::steady_clock::time_point* deadline = nullptr) noexcept;

/// Links `node` (for the calling fiber or thread) at the back of `queue` and waits as
/// wait_on does; on an error unlinks it again. `lock` guards `queue` and is held throughout.
error_code wait_in_queue(IntrusiveList<WaitNode>& queue, WaitNode& node, SpinLock& lock,
                         const std::chrono::steady_clock::time_point* deadline = nullptr) noexcept;
/// The same for a caller that already looked up who it is: `self` is TaskBase::current().
error_code wait_in_queue(TaskBase* self, IntrusiveList<WaitNode>& queue, WaitNode& node, SpinLock& lock,
                         const std::chrono::steady_clock::time_point* deadline = nullptr) noexcept;

/// wait_in_queue without a deadline, for a primitive whose notifier completes the whole
/// transfer under the lock before it signals (a channel's hand-off), so the waiter has
/// nothing left to do under it: on success returns with `guard` released, usually without
/// re-taking the lock; on an error with `guard` locked and `node` unlinked.
error_code wait_for_handoff(TaskBase* self, IntrusiveList<WaitNode>& queue, WaitNode& node,
                            std::unique_lock<SpinLock>& guard) noexcept;

/// Ends a wait of a sync primitive: true when signaled, false when its own deadline passed;
/// on an interruption releases `guard` and throws Canceled naming `caller`.
bool finish_wait(error_code ec, std::unique_lock<SpinLock>& guard, const char* caller);

/// Scheduling states of a task. `notified` is or-ed in while running or parking: a wake-up
/// arrived, so the coming park must not sleep.
enum TaskState : std::uint32_t {
  task_ready = 0,    // in a run queue (or spawned, waiting to start)
  task_running = 1,  // on an executor's thread
  task_parking = 2,  // switching out to wait; not yet safe to resume
  task_waiting = 3,  // switched out, in no queue: a wake makes it ready
  task_done = 4,
  task_notified = 8,
};

/// Why a task switched back to its executor.
enum class SwitchReason : std::uint8_t { yield, park, finish };

/// A spawned fiber: its coroutine, scheduling state, cancellation state and completion.
class TaskBase : public ListHook {
 public:
  explicit TaskBase(RuntimeCore& core) noexcept;
  TaskBase(const TaskBase&) = delete;
  TaskBase& operator=(const TaskBase&) = delete;

  // Frames are recycled per thread (frame_alloc.cpp); `delete this` passes the dynamic size.
  static void* operator new(std::size_t size) { return allocate_task_frame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { free_task_frame(frame, size); }
  // Over-aligned closures keep the plain aligned allocation.
  static void* operator new(std::size_t size, std::align_val_t align) { return ::operator new(size, align); }
  static void operator delete(void* frame, std::align_val_t align) noexcept { ::operator delete(frame, align); }

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }

  TaskId id() const noexcept { return id_; }
  /// The runtime it belongs to (through `executor`, which every task has from its spawn on).
  RuntimeCore& core() const noexcept;
  bool is_done() const noexcept { return state.load(std::memory_order_acquire) == task_done; }

  /// Any thread: asks the task to stop. Its current or next blocking call fails with
  /// errc::canceled; a task that never started never runs its function.
  void cancel() noexcept;

  /// Waits until the task finished: a fiber suspends (and throws Canceled if cancelled
  /// meanwhile), a plain thread blocks.
  void wait_done(const char* caller);

  /// The handle was detached: a failure nobody will observe is logged instead.
  void mark_detached() noexcept;

  // ---- used by the executor and by blocking calls; not API ----

  /// The task running on this thread, or nullptr on a plain thread.
  static TaskBase* current() noexcept;
  /// Like current(), but throws NotInFiber naming `caller` on a plain thread.
  static TaskBase& current_or_throw(const char* caller) {
    TaskBase* task = current();
    if (!task) throw NotInFiber(caller);
    return *task;
  }

  /// Switches to the executor; the executor releases `unlock_after` (if any) once the switch
  /// is complete, then sleeps the task until wake(). May return spuriously: callers loop.
  void park(SpinLock* unlock_after) noexcept;
  /// Switches to the executor, which queues the task behind the others that are ready.
  void yield_now() noexcept;
  /// Makes a waiting task ready (any thread). Harmless on a task that is not waiting.
  /// A woken task usually runs next on the waker's executor (it tends to hold fresh work:
  /// a message, a completion); `WakeOrder::fifo` queues it behind the ready ones instead, for
  /// wakers that wake several tasks whose order matters (timers firing in deadline order).
  enum class WakeOrder : std::uint8_t { next, fifo };
  void wake(WakeOrder order = WakeOrder::next) noexcept;

  /// errc::canceled when this task should stop waiting: cancelled or a timeout scope fired,
  /// and no shield is active. Called by the task itself.
  error_code interruption() const noexcept {
    if (shield_depth > 0) return {};
    if (cancel_requested_.load(std::memory_order_acquire) || fired_timeouts.load(std::memory_order_acquire) > 0) return make_error_code(errc::canceled);
    return {};
  }
  /// Throws Canceled if interruption() says so.
  void throw_if_interrupted(const char* what = nullptr) const {
    if (error_code ec = interruption()) throw_error(ec, what);
  }

  /// Blocking calls spend one unit each; when a turn (the run from one resume to the next
  /// switch) used up the budget the task yields, so a fiber whose calls never block (a sleep
  /// already due, a join of a task already done, I/O that was ready) still lets the others on
  /// its executor and their I/O run.
  void consume_budget() noexcept {
    if (--budget_ <= 0) yield_now();
  }
  static constexpr std::int16_t budget_per_turn = 128;  // as Tokio's cooperative budget
  /// The executor resumes the task: a fresh budget. Per turn, as Tokio's is per poll: a task
  /// that parks gave the thread up anyway. (A budget that ran across parks made two fibers
  /// talking over channels yield every 64 rounds for nothing, and with two executors each
  /// such yield woke the idle one to steal, splitting the pair: a fifth of ping-pong's time.)
  void start_turn(std::int16_t budget = budget_per_turn) noexcept { budget_ = budget; }

  /// Invariant checks (Meson option `invariants`): the task enters a run queue, or leaves
  /// one to run. A task is in at most one queue at a time, and runs once per entry.
  void note_queued() noexcept {
#if defined(ZIO_INVARIANTS)
    ZIO_ASSERT(!in_queue_.exchange(true, std::memory_order_acq_rel), "a task was queued while already queued");
#endif
  }
  void note_dequeued() noexcept {
#if defined(ZIO_INVARIANTS)
    ZIO_ASSERT(in_queue_.exchange(false, std::memory_order_acq_rel), "a task ran that was in no run queue");
#endif
  }

  bool started() const noexcept { return coroutine != nullptr; }
  static TaskBase& of(Coroutine& coroutine) noexcept { return *static_cast<TaskBase*>(coroutine.user()); }

  // Every queued task carries these bytes (a million queued spawns, a million copies), so
  // the fields go widest first, without padding, and counts that stay small are 16 bits.
  std::atomic<TaskBase*> next_ready{nullptr};  // run queue link; owned by the queue it is in
  // The executor it was queued on or last ran on: set at spawn and before each resume. A
  // waker reads it only after its CAS took the task from waiting, which orders it after the
  // task's last resume.
  Executor* executor;
  Coroutine* coroutine = nullptr;         // on top of its stack from its first run to its end
  std::atomic<std::uint32_t> state{task_ready};
  std::atomic<std::int16_t> fired_timeouts{0};  // timer fire (under heap lock) and the task itself
  std::int16_t shield_depth = 0;          // the task itself only
  // (two more public fields at the end, where they fill padding)

  /// Runs on the fiber's own stack: the closure, then the result or exception is stored.
  virtual void run_body() noexcept = 0;
  /// Called by the executor after the fiber finished (or was cancelled before it started).
  void on_finished() noexcept;
  /// Ends the task with `error` without a fiber (no stack could be had, or the runtime has
  /// stopped); the closure is destroyed on the calling thread.
  void finish_unstarted(std::exception_ptr error) noexcept;
  virtual void drop_closure() noexcept = 0;

 protected:
  virtual ~TaskBase() = default;
  virtual void destroy() noexcept = 0;

  std::exception_ptr error_;  // written by the fiber, read after is_done()

 private:
  void log_unobserved_failure() noexcept;

  TaskId id_;
  // Fibers and threads waiting in join(), chained through their nodes' `next`; guarded by
  // done_lock_. One pointer, not a list head: there is rarely more than one joiner, and it
  // saves 8 bytes on every task.
  WaitNode* joiners_ = nullptr;
  std::atomic<int> refs_{2};  // the handle's and the fiber's
  std::int16_t budget_ = budget_per_turn;  // the task itself only

 public:
  // The executor whose live list holds it (RuntimeCore::enlist), or `unlisted`.
  static constexpr std::uint16_t unlisted = 0xffff;
  std::uint16_t live_shard = unlisted;

 private:
  std::atomic<bool> cancel_requested_{false};
  std::atomic<std::uint8_t> end_flags_{0};  // detached / finished, whoever sets the 2nd logs
  SpinLock done_lock_;
  bool finished_ = false;          // guarded by done_lock_

 protected:
  bool closure_alive_ = true;      // TaskFrame's: its closure is not destroyed yet

 public:
  SwitchReason switch_reason = SwitchReason::yield;  // task writes, executor reads after switch
  bool pinned = false;                    // never migrates; set once before it is queued

#if defined(ZIO_INVARIANTS)
 private:
  std::atomic<bool> in_queue_{false};  // note_queued / note_dequeued
#endif
};

/// What every blocking call does on entry, even when it could complete at once:
///  1. spends one unit of cooperative budget, yielding when it runs out — before taking
///     anything, so a fiber never yields while holding what it just acquired;
///  2. the sticky cancellation check: a fiber that swallowed Canceled gets it again here.
/// `task` is TaskBase::current(), for callers that need it afterwards too.
inline error_code enter_blocking_call(TaskBase* task) noexcept {
  if (!task) return {};
  task->consume_budget();
  return task->interruption();
}
inline error_code enter_blocking_call() noexcept { return enter_blocking_call(TaskBase::current()); }

/// enter_blocking_call() for a call only a fiber may make: on a plain thread throws
/// NotInFiber naming `caller`, in the error_code forms too (misuse is not a run-time error).
inline error_code enter_fiber_call(const char* caller) {
  TaskBase& task = TaskBase::current_or_throw(caller);
  task.consume_budget();
  return task.interruption();
}

/// A task with a result slot of type T.
template <typename T>
class TaskResult : public TaskBase {
 public:
  using TaskBase::TaskBase;
  /// After is_done(): the value, or the fiber's exception rethrown.
  T take_result() {
    if (error_) std::rethrow_exception(error_);
    return std::move(*value_);
  }

 protected:
  void store_result(T&& value) { value_.emplace(std::move(value)); }
  std::optional<T> value_;
};

/// A task without a result: finishing without an exception is the whole outcome, so no slot
/// (every byte counts: see TaskBase's fields).
template <>
class TaskResult<void> : public TaskBase {
 public:
  using TaskBase::TaskBase;
  void take_result() {
    if (error_) std::rethrow_exception(error_);
  }
};

/// The one allocation of a spawn: task header, closure and result slot.
template <typename T, typename Fn, typename... Args>
class TaskFrame final : public TaskResult<T> {
  using Closure = std::tuple<Fn, Args...>;

 public:
  template <typename F, typename... A>
  TaskFrame(RuntimeCore& core, F&& fn, A&&... args) : TaskResult<T>(core) {
    ::new (static_cast<void*>(&closure_)) Closure(std::forward<F>(fn), std::forward<A>(args)...);
  }
  ~TaskFrame() override { drop_closure(); }

  void run_body() noexcept override {
    try {
      this->throw_if_interrupted("zio: task cancelled before it started");
      if constexpr (std::is_void_v<T>) {
        std::apply([](auto& fn, auto&... args) { std::invoke(std::move(fn), std::move(args)...); }, closure());
      } else {
        this->store_result(std::apply(
            [](auto& fn, auto&... args) -> T { return std::invoke(std::move(fn), std::move(args)...); },
            closure()));
      }
    } catch (...) {
      this->error_ = std::current_exception();
    }
    // Captured objects die here, on the fiber, where their destructors may still block.
    drop_closure();
  }

 private:
  Closure& closure() noexcept { return *std::launder(reinterpret_cast<Closure*>(&closure_)); }
  void drop_closure() noexcept override {
    if (std::exchange(this->closure_alive_, false)) closure().~Closure();
  }
  void destroy() noexcept override { delete this; }
  // Raw storage instead of std::optional: the engaged flag is TaskBase's closure_alive_,
  // which fits in its padding, where optional's would cost another 8 bytes per task.
  alignas(Closure) unsigned char closure_[sizeof(Closure)];
};

template <typename F, typename... Args>
using TaskResultOf = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;

/// Hands a new task to its runtime: registers it and queues it to run. With an
/// `executor_index`, it runs on that executor only.
void submit(RuntimeCore& core, TaskBase& task);
void submit_pinned(RuntimeCore& core, TaskBase& task, std::size_t executor_index);

/// Creates (but does not submit) a task running fn(args...) on `core`.
template <typename F, typename... Args>
TaskResult<TaskResultOf<F, Args...>>* make_task(RuntimeCore& core, F&& fn, Args&&... args) {
  using T = TaskResultOf<F, Args...>;
  return new TaskFrame<T, std::decay_t<F>, std::decay_t<Args>...>(core, std::forward<F>(fn),
                                                                  std::forward<Args>(args)...);
}

/// Creates and submits a task running fn(args...) on `core`.
template <typename F, typename... Args>
TaskResult<TaskResultOf<F, Args...>>* spawn_on(RuntimeCore& core, F&& fn, Args&&... args) {
  auto* task = make_task(core, std::forward<F>(fn), std::forward<Args>(args)...);
  submit(core, *task);
  return task;
}

}  // namespace zio::detail
