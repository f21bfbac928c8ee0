// Task lifecycle and cancellation. Scheduling (park, wake, resume: the task state machine)
// lives in executor.cpp.
//
// Wake-ups may be spurious: a wake for a wait that already ended can land on the next one.
// Every wait therefore loops on its own condition (node signaled, timer fired, interrupted).
//
// Cancellation: cancel() sets a sticky flag and wakes the task. The wait it is in (or its next
// one) sees interruption() and unwinds with Canceled; each wait removes its own registration
// (wait-list node, timer) under the lock its wakers take, so no waker touches freed memory.
#include <zio/detail/task.hpp>

#include <zio/detail/log.hpp>
#include <zio/detail/runtime_core.hpp>
#include <zio/runtime/spawn.hpp>

#include <mutex>
#include <stdexcept>

namespace zio::detail {
namespace {
constexpr std::uint8_t flag_detached = 1;
constexpr std::uint8_t flag_finished = 2;
}  // namespace

std::atomic<TaskId> RuntimeCore::next_id_{1};

// Executor 0 until submit() picks one: a blocking-pool job or a task spawned on a stopped
// runtime never gets another, and still needs its runtime.
TaskBase::TaskBase(RuntimeCore& core) noexcept : executor(&core.executor(0)), id_(core.next_task_id()) {}

RuntimeCore& TaskBase::core() const noexcept { return executor->core(); }

TaskBase* TaskBase::current() noexcept {
  Executor* executor = Executor::current();
  return executor ? executor->running_task() : nullptr;
}

void TaskBase::yield_now() noexcept {
  switch_reason = SwitchReason::yield;
  coroutine->suspend();
}

void TaskBase::cancel() noexcept {
  cancel_requested_.store(true, std::memory_order_release);
  wake();
}

void TaskBase::wait_done(const char* caller) {
  TaskBase* self = current();
  if (is_done()) {
    if (self) self->consume_budget();
    return;
  }
  if (self == this) throw std::logic_error(std::string(caller) + ": a task cannot join itself");
  std::unique_lock lock(done_lock_);
  if (finished_) return;
  WaitNode node;
  node.task = self;
  node.next = joiners_;
  joiners_ = &node;
  if (error_code ec = wait_on(node, done_lock_)) {
    // Not signaled, so still chained (the finisher takes all nodes at once): unchain it.
    if (joiners_ == &node) {
      joiners_ = static_cast<WaitNode*>(node.next);
    } else {
      WaitNode* before = joiners_;
      while (before->next != &node) before = static_cast<WaitNode*>(before->next);
      before->next = node.next;
    }
    lock.unlock();
    throw_error(ec, caller);
  }
}

void TaskBase::on_finished() noexcept {
  {
    std::lock_guard lock(done_lock_);
    ZIO_INVARIANT(!finished_, "a task finished twice");
    finished_ = true;
    state.store(task_done, std::memory_order_release);
    for (WaitNode* node = std::exchange(joiners_, nullptr); node;) {
      auto* next = static_cast<WaitNode*>(node->next);
      node->notify();  // its waiter may leave once signaled: read `next` first
      node = next;
    }
  }
  if ((end_flags_.fetch_or(flag_finished, std::memory_order_acq_rel) & flag_detached) != 0) {
    log_unobserved_failure();
  }
  core().retire(*this);
  release();  // the fiber's own reference
}

void TaskBase::finish_unstarted(std::exception_ptr error) noexcept {
  error_ = std::move(error);
  drop_closure();
  on_finished();
}

void TaskBase::mark_detached() noexcept {
  if ((end_flags_.fetch_or(flag_detached, std::memory_order_acq_rel) & flag_finished) != 0) {
    log_unobserved_failure();
  }
}

void TaskBase::log_unobserved_failure() noexcept {
  if (!error_) return;
  try {
    std::rethrow_exception(error_);
  } catch (const Canceled&) {
    // Cancellation of a detached task is the expected way to stop it.
  } catch (const std::exception& e) {
    logger().warn("detached task {} ended with an exception: {}", id_, e.what());
  } catch (...) {
    logger().warn("detached task {} ended with a non-standard exception", id_);
  }
}

void submit(RuntimeCore& core, TaskBase& task) { core.submit(task); }

void submit_pinned(RuntimeCore& core, TaskBase& task, std::size_t executor_index) {
  if (executor_index >= core.executor_count()) {
    task.release();  // never queued: drop the fiber's reference; the caller drops the other
    throw std::out_of_range("zio::Runtime::spawn_on: executor index " + std::to_string(executor_index) +
                            " is out of range (the runtime has " + std::to_string(core.executor_count()) +
                            " executors)");
  }
  core.submit(task, executor_index);
}

void submit_blocking(RuntimeCore& core, TaskBase& job) noexcept { core.blocking_pool().submit(job); }

RuntimeCore& current_core(const char* caller) { return TaskBase::current_or_throw(caller).core(); }

}  // namespace zio::detail
