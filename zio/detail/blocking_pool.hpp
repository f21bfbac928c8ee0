#pragma once
// The runtime's pool of helper threads for blocking calls (zio::spawn_blocking, DNS, file
// fallback). Internal: included by zio's .cpp files only.
#include <zio/detail/task.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace zio::detail {

/// Runs tasks' bodies on plain threads. Threads start on demand up to `max_threads` and retire
/// after `keep_alive` without work, so an idle runtime holds none.
///
/// A job is a TaskBase that is never resumed as a fiber: a helper thread calls run_body()
/// (which skips a job cancelled before it started) and then on_finished(), which wakes its
/// joiners. A running job cannot be interrupted; its waiters can stop waiting.
class BlockingPool {
 public:
  BlockingPool(std::size_t max_threads, std::chrono::milliseconds keep_alive) noexcept
      : max_threads_(max_threads), keep_alive_(keep_alive) {}
  ~BlockingPool() { shutdown(); }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  /// Queues `job` (any thread). After shutdown, or when no thread can be started and none
  /// is running, the job ends at once with an error.
  void submit(TaskBase& job) noexcept;

  /// Ends queued jobs with Canceled, waits for the running ones and for every thread to
  /// exit. Idempotent.
  void shutdown() noexcept;

  /// For tests and diagnostics: threads alive now.
  std::size_t thread_count() const noexcept;

 private:
  void worker_loop() noexcept;

  const std::size_t max_threads_;
  const std::chrono::milliseconds keep_alive_;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;    // a job was queued, or shutdown
  std::condition_variable threads_gone_;  // a thread exited (shutdown waits for the last)
  std::deque<TaskBase*> queue_;           // guarded by mutex_
  std::size_t threads_ = 0;               // guarded by mutex_
  std::size_t idle_ = 0;                  // guarded by mutex_: threads waiting for work
  bool stopping_ = false;                 // guarded by mutex_
};

}  // namespace zio::detail
