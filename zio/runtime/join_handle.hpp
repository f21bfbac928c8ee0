#pragma once
#include <zio/detail/task.hpp>

#include <stdexcept>

namespace zio {

/// Owns the right to wait for a spawned task's result.
///
/// Move-only. Destroying a handle that was neither joined nor detached detaches it, as Tokio
/// does: the task runs on, and if it fails, its exception is logged (spdlog logger "zio",
/// level warn) unless it was a cancellation.
template <typename T>
class JoinHandle {
 public:
  JoinHandle() noexcept = default;
  explicit JoinHandle(detail::TaskResult<T>* task) noexcept : task_(task) {}
  JoinHandle(JoinHandle&& other) noexcept : task_(std::exchange(other.task_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& other) noexcept {
    if (this != &other) {
      reset();
      task_ = std::exchange(other.task_, nullptr);
    }
    return *this;
  }
  ~JoinHandle() { reset(); }

  /// Waits for the task and returns its result, or rethrows the exception it ended with
  /// (`Canceled` if it was cancelled). Fiber or thread: a fiber suspends, a plain thread
  /// blocks. If the waiting fiber is cancelled, throws `Canceled` and keeps the handle, and
  /// the task runs on. Throws std::logic_error on an empty handle or when a task joins itself.
  T join() {
    if (!task_) throw std::logic_error("zio::JoinHandle::join: the handle is empty (already joined, detached or moved from)");
    task_->wait_done("zio::JoinHandle::join");
    detail::TaskResult<T>* task = std::exchange(task_, nullptr);
    struct Release {
      detail::TaskResult<T>* t;
      ~Release() { t->release(); }
    } release{task};
    return task->take_result();
  }

  /// Waits until the task finished without taking its result (join() still can). Same
  /// blocking and cancellation behaviour as join(); never rethrows the task's exception.
  void wait() const {
    if (!task_) throw std::logic_error("zio::JoinHandle::wait: the handle is empty (already joined, detached or moved from)");
    task_->wait_done("zio::JoinHandle::wait");
  }

  /// Lets the task run on without anyone waiting for it. The handle becomes empty.
  void detach() noexcept { reset(); }

  /// Asks the task to stop: its current or next blocking call throws `Canceled`. Any thread;
  /// returns at once. A task that has not started yet never runs. No effect once done.
  void cancel() noexcept {
    if (task_) task_->cancel();
  }

  /// True once the task has finished (any thread, never blocks).
  bool done() const noexcept { return task_ && task_->is_done(); }

  /// The task's id; 0 for an empty handle.
  TaskId id() const noexcept { return task_ ? task_->id() : 0; }

  /// False once joined, detached or moved from.
  explicit operator bool() const noexcept { return task_ != nullptr; }

 private:
  void reset() noexcept {
    if (auto* task = std::exchange(task_, nullptr)) {
      task->mark_detached();
      task->release();
    }
  }

  detail::TaskResult<T>* task_ = nullptr;
};

}  // namespace zio
