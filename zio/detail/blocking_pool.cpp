// Helper threads are detached: a retiring thread cannot be joined by anyone waiting at that
// moment. Shutdown instead waits until the thread count reaches zero; a thread's last touch
// of the pool is the unlock after it decremented the count, which is what makes destroying
// the pool right after safe.
#include <zio/detail/blocking_pool.hpp>

#include <zio/detail/log.hpp>

#include <stdexcept>
#include <system_error>
#include <thread>

namespace zio::detail {

void BlockingPool::submit(TaskBase& job) noexcept {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    job.finish_unstarted(std::make_exception_ptr(
        PlainSystemError(errc::runtime_stopped, "zio::spawn_blocking: the runtime is shutting down")));
    return;
  }
  try {
    queue_.push_back(&job);
  } catch (...) {
    lock.unlock();
    job.finish_unstarted(std::current_exception());
    return;
  }
  // Enough idle threads for every queued job: one of them takes it. A woken thread counts as
  // idle until it runs, so compare with the queue, not with zero: otherwise two jobs queued
  // back to back could both go to one thread, and the second would wait behind the first,
  // however long that blocks, while the pool still had room for another thread.
  if (queue_.size() <= idle_ || threads_ >= max_threads_) {
    work_ready_.notify_one();
    return;
  }
  ++threads_;
  try {
    std::thread([this] { worker_loop(); }).detach();
  } catch (const std::system_error& e) {
    --threads_;
    if (threads_ > 0) {
      logger().warn("zio: could not start a blocking-pool thread ({}); {} running threads will take the job",
                    e.what(), threads_);
      return;
    }
    queue_.pop_back();
    lock.unlock();
    job.finish_unstarted(std::current_exception());
  }
}

void BlockingPool::worker_loop() noexcept {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (queue_.empty()) {
      if (stopping_) break;
      ++idle_;
      const bool woke = work_ready_.wait_for(lock, keep_alive_, [this] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (!woke) break;  // idle for keep_alive: retire
      continue;
    }
    TaskBase* job = queue_.front();
    queue_.pop_front();
    lock.unlock();
    job->run_body();
    job->on_finished();
    lock.lock();
  }
  --threads_;
  threads_gone_.notify_all();
}

void BlockingPool::shutdown() noexcept {
  std::deque<TaskBase*> dropped;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
    work_ready_.notify_all();
  }
  for (TaskBase* job : dropped) {
    job->finish_unstarted(std::make_exception_ptr(
        PlainSystemError(errc::runtime_stopped, "zio::spawn_blocking: the runtime shut down before the job started")));
  }
  std::unique_lock lock(mutex_);
  threads_gone_.wait(lock, [this] { return threads_ == 0; });
}

std::size_t BlockingPool::thread_count() const noexcept {
  std::lock_guard lock(mutex_);
  return threads_;
}

}  // namespace zio::detail
