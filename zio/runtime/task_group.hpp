#pragma once
#include <zio/runtime/spawn.hpp>

#include <exception>
#include <vector>

namespace zio {

/// A set of child fibers that finish together, like Go's errgroup with structured cleanup.
///
/// The first child to fail (throw anything but the cancellation the group itself caused)
/// cancels all the others; wait() then rethrows that first failure. Destroying the group
/// cancels the children still running and waits for them (shielded: a cancelled owner still
/// waits), so no child outlives it. Create, spawn into and wait on it from one fiber.
class TaskGroup {
 public:
  /// Fiber only: throws NotInFiber.
  TaskGroup();
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  /// Starts fn(args...) as a child fiber. Its result is discarded; capture what you need.
  template <typename F, typename... Args>
  void spawn(F&& fn, Args&&... args) {
    reserve_slot();
    add(zio::spawn(
        [this](auto&& f, auto&&... a) {
          try {
            std::invoke(std::move(f), std::move(a)...);
          } catch (...) {
            // Reported through the group (wait() rethrows it); the child itself ends quietly.
            child_failed(std::current_exception());
          }
        },
        std::forward<F>(fn), std::forward<Args>(args)...));
  }

  /// Waits for every child. Rethrows the first failure, if any. If the waiting fiber is
  /// cancelled, throws Canceled after cancelling the children (the destructor still joins).
  void wait();

  /// Cancels every child still running; returns at once.
  void cancel() noexcept;

 private:
  void reserve_slot();
  void add(JoinHandle<void> child) noexcept;
  void child_failed(std::exception_ptr error) noexcept;

  detail::SpinLock lock_;                 // guards the two fields below; children fail on any executor
  std::vector<JoinHandle<void>> children_;
  std::exception_ptr first_error_;
  bool canceling_ = false;
};

}  // namespace zio
