#pragma once
// The shared state behind zio::Runtime. Internal: included by zio's .cpp files only.
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
  Executor& executor(std::size_t i) noexcept { return *executors_[i]; }
  std::size_t executor_count() const noexcept { return executors_.size(); }

  /// Registers a new task and queues it (see detail::submit).
  void submit(TaskBase& task) noexcept;
  /// Removes a finished task from the live set.
  void retire(TaskBase& task) noexcept;

  /// Submits `task` to executor 0 and waits until it is done: with one executor by driving
  /// that executor on the calling thread, else by blocking. Plain thread only.
  void run_root(TaskBase& task);
  /// The shutdown protocol of Runtime's comment. Plain thread only; idempotent.
  void shutdown();

  TaskId next_task_id() noexcept { return next_id_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void cancel_all() noexcept;
  void start_worker_threads();
  void enqueue(TaskBase& task, Executor& target) noexcept;
  void check_plain_thread(const char* call) const;
  bool threaded() const noexcept { return executors_.size() > 1; }

  RuntimeOptions options_;
  std::vector<std::unique_ptr<Executor>> executors_;
  std::vector<std::thread> workers_;  // with N > 1 executors: one thread each

  std::atomic<bool> driving_{false};        // one executor: a thread runs its loop
  std::atomic<bool> shutting_down_{false};  // step 1: new tasks start cancelled
  std::atomic<bool> stopped_{false};        // step 4: worker loops end
  std::atomic<std::size_t> next_executor_{0};
  static std::atomic<TaskId> next_id_;

  SpinLock live_lock_;
  IntrusiveList<TaskBase> live_;            // guarded by live_lock_: every task not yet finished
  std::atomic<std::size_t> live_count_{0};  // C++20 wait/notify: shutdown waits for 0
};

}  // namespace zio::detail
