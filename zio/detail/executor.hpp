#pragma once
// An executor: one thread's run queues, timer heap, stack pool and Asio io_context.
// Internal: included by zio's .cpp files only.
#include <zio/coro/stack.hpp>
#include <zio/detail/chaos.hpp>
#include <zio/detail/poller.hpp>
#include <zio/detail/spin_lock.hpp>
#include <zio/detail/steal_queue.hpp>
#include <zio/detail/task.hpp>
#include <zio/detail/timer_heap.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstdint>

namespace zio::detail {

/// An intrusive FIFO of ready tasks linked through TaskBase::next_ready. Not thread-safe.
class TaskQueue {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  TaskBase* front() const noexcept { return head_; }
  void push_back(TaskBase& task) noexcept;
  TaskBase* pop_front() noexcept;
  /// Moves all of `other` to the back of this queue.
  void splice_back(TaskQueue& other) noexcept;

 private:
  TaskBase* head_ = nullptr;
  TaskBase* tail_ = nullptr;
};

/// A non-owning reference to the loop's stop predicate: checked between every two tasks, so
/// a plain function pointer call instead of std::function's.
class StopCondition {
 public:
  template <typename F>
  StopCondition(const F& predicate) noexcept  // NOLINT: implicit on purpose, like a lambda
      : context_(&predicate), call_([](const void* p) { return (*static_cast<const F*>(p))(); }) {}
  bool operator()() const { return call_(context_); }

 private:
  const void* context_;
  bool (*call_)(const void*);
};

class Executor {
 public:
  Executor(RuntimeCore& core, std::size_t index);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// The executor whose loop runs on this thread, or nullptr. Never cached across a fiber
  /// switch by the compiler (see the .cpp).
  static Executor* current() noexcept;

  /// Runs the loop on the calling thread until `done()` is true (checked between tasks).
  void run(StopCondition done);

  /// Queues a ready task that must run here (a pinned task, or any task of a one-executor
  /// runtime's foreign spawns). `here` is Executor::current(), which the callers have at hand.
  /// From this executor's thread: the pinned queue (`prefer_next` puts it in the run-next
  /// slot, for wake-ups); from another thread: the inbox + unpark.
  void schedule_pinned(TaskBase& task, bool prefer_next, const Executor* here) noexcept;

  /// This executor's thread only: queues a ready task that may migrate: the run-next slot
  /// when `prefer_next` (wake-ups), else the stealable queue (spawns, yields).
  void schedule_local(TaskBase& task, bool prefer_next) noexcept;

  /// The running task is about to park: `lock` (if any) is released once its switch is
  /// complete (complete_park). Kept here, not in every task: one park is in flight at a time.
  void unlock_after_park(SpinLock* lock) noexcept { park_unlock_ = lock; }

  /// Wakes the loop if it is parked (any thread). Returns whether it was parked.
  bool unpark() noexcept;

  /// Any thread, a hint: work sits in this executor's stealable queue or inbox.
  bool has_visible_work() const noexcept { return !stealable_.empty() || inbox_size_.load(std::memory_order_seq_cst) != 0; }

  TaskBase* running_task() const noexcept { return running_; }
  TimerHeap& timers() noexcept { return timers_; }
  StackPool& stacks() noexcept { return stacks_; }
  boost::asio::io_context& io() noexcept { return io_; }
  /// Readiness of the stream sockets that fibers on this executor first waited on.
  Poller& poller() noexcept { return poller_; }
  RuntimeCore& core() const noexcept { return core_; }
  std::size_t index() const noexcept { return index_; }
  StealQueue& stealable() noexcept { return stealable_; }
  /// Chaos scheduling's random source (off unless the runtime has a chaos seed). Loop
  /// thread and the fibers it runs only.
  Chaos& chaos() noexcept { return chaos_; }
  /// No task queued here (shutdown's invariant check; loop thread, or after it stopped).
  bool queues_empty() const noexcept;

 private:
  // TaskBase::park and TaskBase::wake (defined in executor.cpp) are the only users of the
  // next three; the first two are inline there, so the hand-off path compiles as one piece.
  friend class TaskBase;
  /// Queues a task that was woken (any thread): a pinned one on its executor; another on the
  /// waker's executor when the waker is one of its runtime's (it migrates there), else in the
  /// runtime's shared queue. `prefer_next`: into the run-next slot, else behind the others.
  static void schedule_woken(TaskBase& task, bool prefer_next) noexcept;
  /// On the stack of this executor's running task as it parks: the task to switch to
  /// directly instead of through the loop (the run-next slot's, when the loop would pick it
  /// next anyway), already accounted as running; nullptr when the park must go through
  /// the loop. The parking task then calls Coroutine::switch_to with `after_handoff_park`.
  TaskBase* take_handoff() noexcept;
  /// Completes a handed-off park on the next task's stack: what the loop does after a park.
  static void after_handoff_park(Coroutine& parked, void* executor) noexcept;

  void push_stealable(TaskBase& task) noexcept;
  void requeue(TaskBase& task) noexcept;
  TaskBase* next_task() noexcept;
  void begin_running(TaskBase& task) noexcept;
  void complete_park(TaskBase& task) noexcept;
  TaskBase* find_work() noexcept;
  bool drain_inbox() noexcept;
  void run_task(TaskBase& task) noexcept;
  void park(StopCondition done);
  bool spin_for_work() noexcept;
  void check_outside() noexcept;

  RuntimeCore& core_;
  const std::size_t index_;

  // Loop-thread only.
  TaskQueue pinned_;              // tasks that must run here, FIFO
  TaskBase* run_next_ = nullptr;  // the task woken last: runs next (message passing)
  unsigned run_next_streak_ = 0;  // run-next picks in a row; capped so queues are not starved
  unsigned tick_ = 0;             // tasks run; every outside_check_interval-th looks outside
  TaskBase* running_ = nullptr;
  SpinLock* park_unlock_ = nullptr;  // the parking task's wait-list lock (unlock_after_park)
  bool searching_ = false;        // woken to look for work; see RuntimeCore's idle protocol
  bool ran_since_park_ = false;   // ran a task since it last parked: worth spinning first
  Chaos chaos_;
  StackPool stacks_;

  StealQueue stealable_;          // owner pushes and pops; idle executors steal half
  TimerHeap timers_;

  // Inbox for pinned tasks scheduled from other threads.
  SpinLock inbox_lock_;
  TaskQueue inbox_;                          // guarded by inbox_lock_
  std::atomic<std::size_t> inbox_size_{0};   // written under inbox_lock_; read by the parker
  std::atomic<bool> sleeping_{false};        // the loop is (about to be) blocked in the io_context

  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  Poller poller_{io_};  // after io_: its descriptor must go before the io_context does
};

}  // namespace zio::detail
