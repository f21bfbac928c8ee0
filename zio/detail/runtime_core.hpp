#pragma once
// The shared state behind zio::Runtime. Internal: included by zio's .cpp files only.
#include <zio/detail/blocking_pool.hpp>
#include <zio/detail/executor.hpp>
#include <zio/runtime/runtime.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace zio::detail {

class RuntimeCore {
 public:
  explicit RuntimeCore(const RuntimeOptions& options);
  ~RuntimeCore();

  const RuntimeOptions& options() const noexcept { return options_; }
  /// This runtime's chaos scheduling seed (0: off); see detail/chaos.hpp.
  std::uint64_t chaos_seed() const noexcept { return chaos_seed_; }
  Executor& executor(std::size_t i) noexcept { return *executors_[i]; }
  std::size_t executor_count() const noexcept { return executors_.size(); }

  /// Registers a new task and queues it (see detail::submit). `executor_index` pins it to
  /// that executor; npos lets the scheduler choose (pinned anyway with pin_fibers).
  void submit(TaskBase& task, std::size_t executor_index = npos) noexcept;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // ---- the shared (injection) queue and idle executors; see executor.cpp's protocol ----
  void inject(TaskBase& task) noexcept;
  void inject(TaskQueue& batch) noexcept;
  /// A task from the shared queue for `executor`; a batch of others goes to its stealable
  /// queue. nullptr when empty.
  TaskBase* take_injected(Executor& executor) noexcept;
  /// Steals half of another executor's stealable queue into `thief`'s; returns one to run.
  TaskBase* steal_for(Executor& thief) noexcept;
  /// Stealable or shared work appeared: wake one idle executor, unless one is searching.
  void notify_work() noexcept;
  /// An executor starts spinning for work: counts as searching, so nobody else is woken.
  void begin_search() noexcept;
  void enter_idle(Executor& executor) noexcept;
  /// Leaves the idle set; true when a notifier took it out to search for work.
  bool leave_idle(Executor& executor) noexcept;
  /// A searching executor found work (or gave up): if it was the last searcher and work is
  /// still visible, wake another.
  void searcher_found_work() noexcept;
  /// Work that `executor` could take: shared queue, or (with several executors) stealable.
  bool has_work_for(const Executor& executor) const noexcept;
  bool any_stealable_work() const noexcept;
  /// `task` is about to run for the first time on `executor` (its thread): it joins that
  /// executor's live list, and starts cancelled if shutdown has begun.
  void enlist(TaskBase& task, Executor& executor) noexcept;
  /// Removes a finished task from the live set (a task never enlisted is ignored).
  void retire(TaskBase& task) noexcept;

  /// Submits `task` to executor 0 and waits until it is done: with one executor by driving
  /// that executor on the calling thread, else by blocking. Plain thread only.
  void run_root(TaskBase& task);
  /// The shutdown protocol of Runtime's comment. Plain thread only; idempotent.
  void shutdown();

  BlockingPool& blocking_pool() noexcept { return blocking_; }

  /// An io_context for a new I/O object that may serve any executor (accepted sockets):
  /// round-robin over the executors, so connections spread across the reactors.
  boost::asio::io_context& next_io() noexcept;

  TaskId next_task_id() noexcept { return next_id_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void cancel_all() noexcept;
  void start_worker_threads();
  void stop_workers() noexcept;
  /// Counts a task submitted by the calling thread (an executor of ours, or `here` null).
  void count_submitted(Executor* here) noexcept;
  /// Takes back a plain thread's count_submitted for a task that will never be queued.
  void uncount_submitted_outside() noexcept;
  /// Tasks submitted and not finished. Exact once no new tasks can appear (shutdown).
  std::uint64_t live_count() const noexcept;
  void check_plain_thread(const char* call) const;
  bool threaded() const noexcept { return executors_.size() > 1; }

  RuntimeOptions options_;
  std::uint64_t chaos_seed_;
  std::vector<std::unique_ptr<Executor>> executors_;
  std::vector<std::thread> workers_;  // with N > 1 executors: one thread each

  std::atomic<bool> driving_{false};        // one executor: a thread runs its loop
  std::atomic<bool> shutting_down_{false};  // step 1: new tasks start cancelled
  std::atomic<bool> stopped_{false};        // step 4: worker loops end
  std::atomic<std::size_t> next_executor_{0};
  static std::atomic<TaskId> next_id_;

  SpinLock inject_lock_;
  TaskQueue injected_;                            // guarded by inject_lock_
  std::atomic<std::size_t> injected_size_{0};     // written under inject_lock_

  SpinLock idle_lock_;
  std::vector<Executor*> idle_;                   // guarded by idle_lock_: parked executors
  std::atomic<std::size_t> idle_count_{0};        // == idle_.size(), readable without the lock
  std::atomic<std::size_t> searching_{0};         // executors woken to look for work

  BlockingPool blocking_;
  std::atomic<std::size_t> next_io_{0};

  // Live tasks, per executor, so that spawning on one executor and running or finishing on
  // another share no lock and no counter (one global list's lock and count were 15% of the
  // two-executor spawn benchmark, bouncing between the cores). A task is counted by the
  // executor (thread) that submits it, and listed by the one where it first runs; shutdown
  // cancels what the lists hold and starts the rest cancelled (see enlist).
  struct alignas(64) LiveShard {
    SpinLock lock;
    IntrusiveList<TaskBase> tasks;      // guarded by lock: first ran here, not finished
    std::atomic<std::uint64_t> listed{0};     // tasks.size(), written under lock
    // One writer each, the executor's thread: plain increments, no locked instruction.
    std::atomic<std::uint64_t> submitted{0};  // by fibers of this executor
    std::atomic<std::uint64_t> begun{0};      // first ran here
  };
  std::unique_ptr<LiveShard[]> shards_;
  std::atomic<std::uint64_t> submitted_outside_{0};  // by plain threads
  std::atomic<std::uint32_t> retired_signal_{0};     // shutdown waits on it (C++20 wait/notify)
};

}  // namespace zio::detail
