// The executor loop.
//
//   loop:
//     run ready tasks: the run-next slot first (at most 3 in a row), then the stealable and
//         the pinned queue in turn; every 61 tasks also drain the inbox, fire timers, poll
//         the io_context and take from the runtime's shared queue, so a busy executor cannot
//         starve I/O, other threads' wake-ups or work injected from outside;
//     when nothing is ready: fire expired timers, poll the sockets' readiness (Poller),
//         drain the inbox, take from the shared queue, steal half of another executor's
//         stealable queue; if still nothing, park in io_context::run_one_until(next deadline)
//         (epoll_wait: no CPU; the Poller's epoll instance is one of its descriptors).
//
// Parking protocol (no lost wake-up):
//   parker: sleeping_ = true, join the runtime's idle set (seq_cst); then re-check the inbox,
//           the shared queue, other executors' stealable queues and the stop condition; any
//           of them set: leave the idle set and don't park.
//   waker:  publish the work (seq_cst), then: for the inbox, unpark that executor; for
//           stealable or shared work, RuntimeCore::notify_work() takes one executor out of
//           the idle set (only if nobody is searching already) and unparks it.
//   unpark: if sleeping_.exchange(false): post a no-op to the io_context, ending run_one.
// Both sides store then load in seq_cst order, so at least one sees the other's store. A
// woken executor is "searching" until it finds work; while one searches no other is woken
// (no thundering herd), and when it finds work it wakes the next if more is visible.
//
// After a task switches back, its SwitchReason says what to do:
//   yield  → queue it at the back;
//   park   → release its park lock, then CAS parking→waiting. If a waker came meanwhile it
//            set `notified`, the CAS fails and the task is queued again instead of sleeping.
//            This is why a waiter is published only after the switch finished: nobody can
//            resume a stack that is still in use.
//   finish → return the stack to the pool and complete the task.
// A task that parks while the run-next slot holds a suspended task hands the thread to it
// directly (take_handoff, Coroutine::switch_to); the park's step above then runs on the
// next task's stack, and the task that eventually switches back is not the one resumed.
//
// Task states (TaskBase::state), with who moves them; park, wake and every other transition
// live here, beside the queues they feed, so the hand-off path compiles as one piece:
//   ready  --executor picks it-->  running  --park()-->  parking  --executor, after switch-->  waiting
//   waiting --wake(), any thread--> ready (and queued)
//   ready|running|parking --wake()--> same | notified   (the next park re-queues, no sleep)
//   running --body returns--> done (executor, after the final switch)
// Every transition is a read-modify-write that carries the notified bit along, so a wake-up
// that races with a transition is never overwritten (and its release pairs with the acquire
// of whoever reads the state next).
#include <zio/detail/executor.hpp>

#include <zio/coro/overflow_guard.hpp>
#include <zio/detail/assert.hpp>
#include <zio/detail/interleave.hpp>
#include <zio/detail/runtime_core.hpp>

#include <boost/asio/post.hpp>

namespace zio::detail {
namespace {

__attribute__((tls_model("initial-exec"))) thread_local Executor* tls_executor = nullptr;

// Budget of consecutive run-next picks, and how often a busy loop looks outside (Go's 61).
constexpr unsigned max_run_next_streak = 3;
constexpr unsigned outside_check_interval = 61;
// How long an executor that just ran work spins for more before it parks.
constexpr std::chrono::microseconds spin_budget{25};

}  // namespace

// noinline plus the empty asm make every call read this thread's slot afresh: without them
// g++ and clang keep the TLS address across a call that switched fibers, and a fiber resumed
// on another thread would read the previous thread's executor.
__attribute__((noinline)) Executor* Executor::current() noexcept {
  Executor** slot = &tls_executor;
  asm volatile("" : "+r"(slot));
  return *slot;
}

void TaskQueue::push_back(TaskBase& task) noexcept {
  task.next_ready.store(nullptr, std::memory_order_relaxed);
  if (tail_) {
    tail_->next_ready.store(&task, std::memory_order_relaxed);
  } else {
    head_ = &task;
  }
  tail_ = &task;
}

TaskBase* TaskQueue::pop_front() noexcept {
  TaskBase* task = head_;
  if (!task) return nullptr;
  head_ = task->next_ready.load(std::memory_order_relaxed);
  if (!head_) tail_ = nullptr;
  return task;
}

void TaskQueue::splice_back(TaskQueue& other) noexcept {
  if (other.empty()) return;
  if (tail_) {
    tail_->next_ready.store(other.head_, std::memory_order_relaxed);
  } else {
    head_ = other.head_;
  }
  tail_ = other.tail_;
  other.head_ = other.tail_ = nullptr;
}

Executor::Executor(RuntimeCore& core, std::size_t index)
    : core_(core), index_(index), stacks_(core.options().stack_size, core.options().max_cached_stacks) {
  chaos_.seed(chaos_seed_for_executor(core.chaos_seed(), index));
}

bool Executor::queues_empty() const noexcept {
  return !run_next_ && pinned_.empty() && stealable_.empty() && inbox_size_.load(std::memory_order_acquire) == 0;
}

Executor::~Executor() = default;

void Executor::schedule_pinned(TaskBase& task, bool prefer_next, const Executor* here) noexcept {
  if (here == this) {
    if (prefer_next) {
      if (run_next_) requeue(*run_next_);
      run_next_ = &task;
    } else {
      pinned_.push_back(task);
    }
    return;
  }
  inbox_lock_.lock();
  inbox_.push_back(task);
  inbox_size_.fetch_add(1, std::memory_order_seq_cst);
  inbox_lock_.unlock();
  unpark();
}

inline void Executor::schedule_woken(TaskBase& task, bool prefer_next) noexcept {
  // One look-up of this thread's executor for the whole decision: a wake-up is on every
  // message's path (ping-pong wakes once per hand-off).
  Executor* here = current();
  Executor& home = *task.executor;
  task.note_queued();
  if (task.pinned) {
    home.schedule_pinned(task, prefer_next, here);
  } else if (here && &here->core_ == &home.core_) {
    if (here->chaos_.one_in(8)) {
      here->core_.inject(task);  // chaos: a forced migration, to whichever executor takes it
    } else {
      here->schedule_local(task, prefer_next);  // migrates to the waker's executor
    }
  } else {
    home.core_.inject(task);
  }
}

void Executor::schedule_local(TaskBase& task, bool prefer_next) noexcept {
  if (!prefer_next) {
    push_stealable(task);
    return;
  }
  // The displaced run-next task becomes stealable. The woken one stays in the slot, not
  // stealable: it is usually the other half of a conversation with the running fiber.
  if (run_next_) requeue(*run_next_);
  run_next_ = &task;
}

void Executor::push_stealable(TaskBase& task) noexcept {
  if (!stealable_.push(task)) {
    // Full: move the older half and this task to the shared queue in one batch.
    TaskQueue overflow;
    stealable_.pop_half(overflow);
    overflow.push_back(task);
    core_.inject(overflow);
    return;
  }
  core_.notify_work();
}

void Executor::requeue(TaskBase& task) noexcept {
  if (task.pinned) {
    pinned_.push_back(task);
  } else {
    push_stealable(task);
  }
}

bool Executor::unpark() noexcept {
  // The load keeps the common case (not parked) free of a locked instruction.
  if (!sleeping_.load(std::memory_order_seq_cst) || !sleeping_.exchange(false, std::memory_order_seq_cst)) {
    return false;
  }
  try {
    boost::asio::post(io_, [] {});
  } catch (...) {
    // Allocation failure: the parker wakes at its next deadline at worst.
  }
  return true;
}

bool Executor::drain_inbox() noexcept {
  if (inbox_size_.load(std::memory_order_acquire) == 0) return false;
  inbox_lock_.lock();
  pinned_.splice_back(inbox_);
  inbox_size_.store(0, std::memory_order_relaxed);
  inbox_lock_.unlock();
  return true;
}

void Executor::check_outside() noexcept {
  drain_inbox();
  timers_.fire_expired(std::chrono::steady_clock::now(), chaos_);
  poller_.poll();
  io_.poll();
  if (TaskBase* task = core_.take_injected(*this)) requeue(*task);
}

TaskBase* Executor::next_task() noexcept {
  if (tick_ % outside_check_interval == outside_check_interval - 1 || chaos_.one_in(16)) check_outside();
  if (chaos_.on()) {
    // Chaos: the run-next slot bypassed; or a steal although this executor has work (the
    // batch goes behind what its ring holds).
    if (run_next_ && chaos_.one_in(4)) requeue(*std::exchange(run_next_, nullptr));
    if (chaos_.one_in(32)) {
      if (TaskBase* stolen = core_.steal_for(*this)) return stolen;
    }
  }
  if (run_next_ && run_next_streak_ < max_run_next_streak) {
    ++run_next_streak_;
    return std::exchange(run_next_, nullptr);
  }
  run_next_streak_ = 0;
  // Alternate between the two local queues so neither starves the other.
  TaskBase* task;
  if (tick_ & 1) {
    task = pinned_.pop_front();
    if (!task) task = stealable_.pop();
  } else {
    task = stealable_.pop();
    if (!task) task = pinned_.pop_front();
  }
  return task ? task : std::exchange(run_next_, nullptr);
}

TaskBase* Executor::find_work() noexcept {
  timers_.fire_expired(std::chrono::steady_clock::now(), chaos_);
  poller_.poll();  // sockets' events, without a pass through the io_context
  // Tasks the timers or the poller just woke, or that arrived from other threads: the next
  // pass of the loop takes them. Stealing comes only when this executor has nothing at all.
  if (drain_inbox() || run_next_ || !stealable_.empty() || !pinned_.empty()) return nullptr;
  if (TaskBase* task = core_.take_injected(*this)) return task;
  return core_.steal_for(*this);
}

void Executor::run(StopCondition done) {
  // Restored however the loop ends (an exception from the io_context included), so the
  // thread does not go on looking like an executor.
  struct CurrentGuard {
    Executor* outer = tls_executor;
    explicit CurrentGuard(Executor* self) { tls_executor = self; }
    ~CurrentGuard() { tls_executor = outer; }
  } current_guard(this);
  AltSignalStack alt_stack;
  while (!done()) {
    TaskBase* task = next_task();
    if (!task) task = find_work();
    if (task) {
      if (searching_) {
        searching_ = false;
        core_.searcher_found_work();
      }
      run_task(*task);
      ran_since_park_ = true;
      continue;
    }
    if (!pinned_.empty() || run_next_ || !stealable_.empty() || done()) continue;
    if (ran_since_park_ && spin_for_work()) continue;
    park(done);
    ran_since_park_ = false;
  }
  if (searching_) {
    searching_ = false;
    core_.searcher_found_work();
  }
}

bool Executor::spin_for_work() noexcept {
  // A cross-thread wake through epoll costs several microseconds; work often arrives sooner
  // than that after the last task (a reply, a hand-off). So spin briefly first, counted as
  // searching so that new work does not wake another executor meanwhile. Only after having
  // run something: an idle executor woken by a timer parks again without spinning.
  if (core_.executor_count() == 1 || chaos_.one_in(2)) return false;
  if (!searching_) {
    searching_ = true;
    core_.begin_search();
  }
  const auto until = std::chrono::steady_clock::now() + spin_budget;
  for (unsigned i = 1;; ++i) {
    __builtin_ia32_pause();
    if (inbox_size_.load(std::memory_order_relaxed) != 0 || core_.has_work_for(*this)) return true;
    if (i % 64 == 0) {
      // The reactor is a source of work too: a socket this executor owns may be ready. Not
      // polling it here made every I/O wake-up wait out the whole spin (echo over two
      // executors ran at a quarter of one executor's rate, half its CPU in this loop).
      // A poll that finds nothing is one epoll_wait(0) every few microseconds.
      if (poller_.poll() || io_.poll() != 0 || run_next_ || !pinned_.empty() || !stealable_.empty()) return true;
      if (std::chrono::steady_clock::now() >= until) return false;
    }
  }
}

void Executor::park(StopCondition done) {
  auto deadline = timers_.next_deadline();
  if (chaos_.on()) {
    // Chaos: a park cut short, as if an unrelated event had woken the loop.
    const auto soon = std::chrono::steady_clock::now() + std::chrono::microseconds(chaos_.below(2000));
    if (!deadline || soon < *deadline) deadline = soon;
  }
  if (searching_) {
    searching_ = false;
    core_.searcher_found_work();  // stops searching; re-checks below cover what it missed
  }
  sleeping_.store(true, std::memory_order_seq_cst);
  core_.enter_idle(*this);
  // Re-check after announcing sleep: whoever adds work afterwards sees us idle and wakes us.
  if (inbox_size_.load(std::memory_order_seq_cst) != 0 || core_.has_work_for(*this) || done()) {
    sleeping_.store(false, std::memory_order_relaxed);
    searching_ = core_.leave_idle(*this);
    return;
  }
  // run_one_until rounds the epoll timeout up to whole milliseconds: never early.
  if (deadline) {
    io_.run_one_until(*deadline);
  } else {
    io_.run_one();
  }
  sleeping_.store(false, std::memory_order_relaxed);
  searching_ = core_.leave_idle(*this);
}

inline void Executor::begin_running(TaskBase& task) noexcept {
  task.note_dequeued();
  task.executor = this;
  // ready → running, dropping the notified bit of a wake-up that came while the task was
  // queued: the task checks its wait condition before it parks again (every wait loop
  // does), and a waker sets the condition before it wakes. A read-modify-write, so that this
  // synchronises with such a waker. (Keeping the bit failed the task's next park for one
  // spurious turn, and with several executors that requeue also woke an idle one to steal
  // it: ping-pong's two fibers were split across the executors every 128 calls.)
  [[maybe_unused]] const std::uint32_t before = task.state.exchange(task_running, std::memory_order_acq_rel);
  ZIO_INVARIANT((before & ~task_notified) == task_ready, "a task was resumed that was not ready");
  // Chaos: a small random budget, so that blocking calls yield at random points.
  task.start_turn(chaos_.on() ? static_cast<std::int16_t>(1 + chaos_.below(16)) : TaskBase::budget_per_turn);
  task.switch_reason = SwitchReason::finish;
  running_ = &task;
  ++tick_;
}

void Executor::run_task(TaskBase& task) noexcept {
  if (!task.started()) {
    core_.enlist(task, *this);
    Stack stack;
    try {
      stack = stacks_.acquire();
    } catch (...) {
      task.note_dequeued();
      task.finish_unstarted(std::current_exception());  // no memory for a stack: bad_alloc
      return;
    }
    // A task cancelled before it started still gets its fiber: run_body sees the cancel and
    // skips the function, and the closure is destroyed on the fiber, where it may block.
    task.coroutine = Coroutine::create(stack, [](void* self) { static_cast<TaskBase*>(self)->run_body(); }, &task);
  }
  begin_running(task);
  // The task that switches back may be another one: `task` may have handed the thread on.
  TaskBase& back = TaskBase::of(task.coroutine->resume());
  ZIO_ASSERT(&back == running_, "a task other than the running one switched back");
  running_ = nullptr;

  switch (back.switch_reason) {
    case SwitchReason::yield: {
      [[maybe_unused]] const std::uint32_t before =
          back.state.fetch_sub(task_running - task_ready, std::memory_order_acq_rel);
      ZIO_INVARIANT((before & ~task_notified) == task_running, "a task yielded that was not running");
      back.note_queued();
      if (!back.pinned && chaos_.one_in(8)) {
        core_.inject(back);  // chaos: a forced migration
      } else {
        requeue(back);
      }
      break;
    }
    case SwitchReason::park:
      complete_park(back);
      break;
    case SwitchReason::finish:
      stacks_.release(Coroutine::destroy(std::exchange(back.coroutine, nullptr)));
      back.on_finished();
      break;
  }
}

inline void Executor::complete_park(TaskBase& task) noexcept {
  if (SpinLock* lock = std::exchange(park_unlock_, nullptr)) lock->unlock();
  interleave_point();
  std::uint32_t expected = task_parking;
  if (!task.state.compare_exchange_strong(expected, task_waiting, std::memory_order_acq_rel)) {
    // A wake-up arrived while it was running or switching out: run it again instead.
    ZIO_INVARIANT(expected == (task_parking | task_notified), "a parking task changed state under its executor");
    task.state.exchange(task_ready, std::memory_order_acq_rel);
    task.note_queued();
    requeue(task);
  }
}

// A park whose executor has a task in its run-next slot is, with the loop, two switches and
// a pass of the loop that would pick that very task. The hand-off replaces them with one
// direct switch (message passing: ping-pong over channels). It follows the loop's rules:
// not when the loop is due to look outside (timers, inbox, I/O, the stop condition), and
// not past the run-next streak while other tasks are queued.
inline TaskBase* Executor::take_handoff() noexcept {
  TaskBase* next = run_next_;
  if (!next || !next->started() || chaos_.one_in(2)) return nullptr;
  if (tick_ % outside_check_interval == outside_check_interval - 1) return nullptr;
  if (run_next_streak_ >= max_run_next_streak) {
    if (!pinned_.empty() || !stealable_.empty()) return nullptr;
    run_next_streak_ = 0;
  }
  ++run_next_streak_;
  run_next_ = nullptr;
  begin_running(*next);
  return next;
}

void Executor::after_handoff_park(Coroutine& parked, void* executor) noexcept {
  static_cast<Executor*>(executor)->complete_park(TaskBase::of(parked));
}

void TaskBase::park(SpinLock* unlock_after) noexcept {
  executor->unlock_after_park(unlock_after);
  switch_reason = SwitchReason::park;
  // running → parking, keeping a notified bit a waker may have set meanwhile.
  [[maybe_unused]] const std::uint32_t before = state.fetch_add(task_parking - task_running, std::memory_order_acq_rel);
  ZIO_INVARIANT((before & ~task_notified) == task_running, "a task parked that was not running");
  interleave_point();
  // `executor` is the one running this task now (a member, not thread-local: safe to read
  // on a fiber that has migrated).
  if (TaskBase* next = executor->take_handoff()) {
    coroutine->switch_to(*next->coroutine, &Executor::after_handoff_park, executor);
  } else {
    coroutine->suspend();
  }
  // Chaos: a yield right after the wait, before the caller looks at what woke it. Legal:
  // a park may return spuriously, and its caller holds no lock here.
  if (executor->chaos_.one_in(8)) yield_now();
}

void TaskBase::wake(WakeOrder order) noexcept {
  std::uint32_t s = state.load(std::memory_order_acquire);
  for (;;) {
    interleave_point();
    if (s == task_waiting) {
      if (state.compare_exchange_weak(s, task_ready, std::memory_order_acq_rel)) {
        Executor::schedule_woken(*this, order == WakeOrder::next);
        return;
      }
    } else if (s == task_running || s == task_parking || s == task_ready) {
      // Not asleep: make sure it looks at its wait condition once more before it sleeps.
      if (state.compare_exchange_weak(s, s | task_notified, std::memory_order_acq_rel)) return;
    } else {
      return;  // done, or already notified
    }
  }
}

}  // namespace zio::detail
