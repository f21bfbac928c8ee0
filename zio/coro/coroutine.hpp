#pragma once
/// A stackful coroutine: a Boost.Context fcontext on a pooled stack, with the sanitizer and
/// exception-state bookkeeping every switch needs. Knows nothing about scheduling.
///
/// The coroutine object lives at the top of its own stack, created when it first runs: a
/// task that is only queued costs no switching state (a million queued spawns would
/// otherwise carry 120 bytes each that no one uses yet).
#include <zio/coro/stack.hpp>

namespace zio::detail {

class Coroutine {
 public:
  using Entry = void (*)(void* user);

  /// Builds a coroutine at the top of `stack`, which it owns until destroy(); the first
  /// resume() runs entry(user). `entry` must not throw.
  static Coroutine* create(Stack stack, Entry entry, void* user) noexcept;
  /// Ends a finished coroutine and hands back its stack (for the pool).
  static Stack destroy(Coroutine* coroutine) noexcept;

  Coroutine(const Coroutine&) = delete;
  Coroutine& operator=(const Coroutine&) = delete;

  /// Called by a scheduler thread: runs the coroutine until a coroutine suspends or
  /// finishes, and returns that one: this coroutine, or another it handed the thread to with
  /// switch_to(). The coroutine may have been suspended on another thread (migration).
  Coroutine& resume() noexcept;

  /// Called on the coroutine's own stack: switches back to the thread that resumed it.
  void suspend() noexcept;

  /// What runs on the next coroutine's stack right after a switch_to(), before it continues.
  using AfterSwitch = void (*)(Coroutine& from, void* arg);

  /// Called on the coroutine's own stack: suspends it and continues `next` (started and
  /// suspended, owned by the caller) on this thread directly, as if this coroutine had
  /// suspended and its resumer had then resumed `next`, without the two switches through the
  /// resumer. `next` later suspends to that resumer, whose resume() returns `next`.
  /// `after(*this, arg)` runs once this coroutine's switch is complete (it may then be
  /// resumed elsewhere), on `next`'s stack.
  void switch_to(Coroutine& next, AfterSwitch after, void* arg) noexcept;

  bool finished() const noexcept { return finished_; }
  /// What create() was given for `entry`.
  void* user() const noexcept { return user_; }

  /// The coroutine running on this thread, or nullptr. Read by the overflow handler.
  static Coroutine* running() noexcept;

  const Stack& stack() const noexcept { return stack_; }

 private:
  friend struct CoroutineAccess;
  Coroutine(Stack stack, Entry entry, void* user) noexcept;
  ~Coroutine();
  void finish() noexcept;
  void land(void* from_context, bool handed_off) noexcept;

  void* context_ = nullptr;  // the coroutine's saved context while it is suspended
  void* caller_ = nullptr;   // the resuming thread's context while it runs
  Entry entry_;
  void* user_;
  Stack stack_;
  bool finished_ = false;

  // The per-thread C++ exception state (caught-exception chain and uncaught count) of this
  // coroutine while it is switched out. Without it, a fiber suspended in a catch block would
  // rethrow whatever another fiber on that thread caught last.
  void* caught_exceptions_ = nullptr;
  unsigned uncaught_exceptions_ = 0;

  // ASan: the fake stack of this coroutine and the bounds of the stack that resumed it.
  void* asan_fake_stack_ = nullptr;
  const void* caller_stack_bottom_ = nullptr;
  std::size_t caller_stack_size_ = 0;
  // TSan: this coroutine's fiber and the resuming thread's fiber.
  void* tsan_fiber_ = nullptr;
  void* tsan_caller_ = nullptr;
};

}  // namespace zio::detail
