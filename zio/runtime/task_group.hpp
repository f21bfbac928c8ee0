#pragma once
#include <zio/runtime/spawn.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <tuple>
#include <utility>

namespace zio {

/// A set of child fibers that finish together, like Go's errgroup with structured cleanup.
///
/// The first child to fail (throw anything but the cancellation the group itself caused)
/// cancels all the others; wait() then rethrows that first failure. Destroying the group
/// cancels the children still running and waits for them (shielded: a cancelled owner still
/// waits), so no child outlives it. Create, spawn into and wait on it from one fiber.
///
/// A child leaves the group as it ends, so a group may live as long as a server and take a
/// fiber per connection: spawn costs O(1), and the group holds only the children running.
class TaskGroup {
 public:
  /// Fiber only: throws NotInFiber.
  TaskGroup();
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  /// Starts fn(args...) as a child fiber. Its result is discarded; capture what you need.
  /// After cancel() (or a child's failure) the child starts cancelled: fn never runs.
  template <typename F, typename... Args>
  void spawn(F&& fn, Args&&... args) {
    detail::RuntimeCore& core = detail::current_core("zio::TaskGroup::spawn");
    Membership membership(*this);
    Child& child = membership.child();
    auto* task = detail::make_task(core, ChildBody<std::decay_t<F>, std::decay_t<Args>...>{
                                             std::move(membership), this, std::forward<F>(fn),
                                             std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...)});
    enroll(child, *task);
    detail::submit(core, *task);
  }
  /// Waits for every child. Rethrows the first failure, if any. If the waiting fiber is
  /// cancelled, throws Canceled after cancelling the children (the destructor still joins).
  void wait();

  /// Cancels every child still running; returns at once.
  void cancel() noexcept;

  /// The children that have not ended yet (a snapshot).
  std::size_t size() const noexcept;

 private:
  struct Child;

  /// Rides in a child's closure and ends its membership when the closure is destroyed:
  /// after the child's function returned, when a child that never started is discarded,
  /// or when spawn itself fails before the child was queued. Move-only; one owner at a time.
  class Membership {
   public:
    explicit Membership(TaskGroup& group);
    Membership(Membership&& other) noexcept
        : group_(std::exchange(other.group_, nullptr)), child_(other.child_) {}
    Membership& operator=(Membership&&) = delete;
    ~Membership() {
      if (group_) group_->leave(*child_);
    }
    Child& child() const noexcept { return *child_; }

   private:
    TaskGroup* group_;
    Child* child_;
  };

  /// A child's whole closure. The membership is the first member, so it is destroyed last:
  /// the group (and its owner, which may return from wait() at once) learns that the child
  /// ended only after the function's captures and arguments are gone too.
  template <typename F, typename... Args>
  struct ChildBody {
    Membership membership;
    TaskGroup* group;
    F fn;
    std::tuple<Args...> args;

    void operator()() {
      try {
        std::apply([this](auto&... a) { std::invoke(std::move(fn), std::move(a)...); }, args);
      } catch (...) {
        // Reported through the group (wait() rethrows it); the child itself ends quietly.
        group->child_failed(std::current_exception());
      }
    }
  };

  Child* new_child();
  /// Links `child`, whose closure `task` carries, holding the reference a handle would.
  void enroll(Child& child, detail::TaskBase& task) noexcept;
  void leave(Child& child) noexcept;
  void child_failed(std::exception_ptr error) noexcept;
  /// With lock_ held: waits until no child is left. Returns the wait's interruption, if any.
  error_code wait_until_empty() noexcept;

  mutable detail::SpinLock lock_;  // guards what follows; children end on any executor
  detail::IntrusiveList<Child> running_;
  std::size_t running_count_ = 0;
  detail::WaitNode* waiter_ = nullptr;    // the owner, in wait_until_empty
  std::exception_ptr first_error_;
  bool canceling_ = false;
};

}  // namespace zio
