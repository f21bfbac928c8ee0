#include <zio/detail/runtime_core.hpp>

#include <zio/coro/overflow_guard.hpp>
#include <zio/detail/chaos.hpp>
#include <zio/detail/log.hpp>

#include <csignal>
#include <mutex>
#include <stdexcept>
#include <string>

namespace zio::detail {
namespace {

void validate(const RuntimeOptions& options) {
  if (options.executors == 0) {
    throw std::invalid_argument("zio::RuntimeOptions::executors is 0: a runtime needs at least one executor");
  }
  if (options.executors >= TaskBase::unlisted) {
    throw std::invalid_argument("zio::RuntimeOptions::executors is " + std::to_string(options.executors) +
                                ": more than the limit of " + std::to_string(TaskBase::unlisted - 1));
  }
  constexpr std::size_t min_stack = 16 * 1024;
  if (options.blocking_threads == 0) {
    throw std::invalid_argument("zio::RuntimeOptions::blocking_threads is 0: the blocking pool needs at least one thread");
  }
  if (options.stack_size < min_stack) {
    throw std::invalid_argument("zio::RuntimeOptions::stack_size is " + std::to_string(options.stack_size) +
                                " bytes: fiber stacks need at least " + std::to_string(min_stack));
  }
  constexpr std::size_t max_stack = std::size_t{1} << 34;  // 16 GiB: beyond this it is a typo
  if (options.stack_size > max_stack) {
    throw std::invalid_argument("zio::RuntimeOptions::stack_size is " + std::to_string(options.stack_size) +
                                " bytes: more than the 16 GiB limit");
  }
}

void ignore_sigpipe_once() {
  // A write to a peer that closed must be an error, not the end of the process. Only when
  // nobody chose a disposition already.
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      ::signal(SIGPIPE, SIG_IGN);
    }
  });
}

}  // namespace

RuntimeCore::RuntimeCore(const RuntimeOptions& options)
    : options_(options),
      chaos_seed_(chaos_seed_for_runtime(options.chaos_seed)),
      blocking_(options.blocking_threads, options.blocking_keep_alive) {
  validate(options_);
  install_overflow_handler(options_.stack_size);
  ignore_sigpipe_once();
  executors_.reserve(options_.executors);
  idle_.reserve(options_.executors);
  shards_ = std::make_unique<LiveShard[]>(options_.executors);
  for (std::size_t i = 0; i < options_.executors; ++i) {
    executors_.push_back(std::make_unique<Executor>(*this, i));
  }
  start_worker_threads();
}

RuntimeCore::~RuntimeCore() { shutdown(); }

void RuntimeCore::start_worker_threads() {
  if (!threaded()) return;
  try {
    for (std::size_t i = 0; i < executors_.size(); ++i) {
      workers_.emplace_back([this, i] {
        executors_[i]->run([this] { return stopped_.load(std::memory_order_seq_cst); });
      });
    }
  } catch (...) {
    // No thread could be had (resource limits): stop the ones started, then report.
    stop_workers();
    throw;
  }
}

void RuntimeCore::stop_workers() noexcept {
  stopped_.store(true, std::memory_order_seq_cst);
  for (auto& executor : executors_) executor->unpark();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void RuntimeCore::count_submitted(Executor* here) noexcept {
  if (!here) {
    // seq_cst: with submit's following load of shutting_down_, the Dekker pair against
    // shutdown's store of that flag and its reads of the counts (a release RMW is not).
    submitted_outside_.fetch_add(1, std::memory_order_seq_cst);
    return;
  }
  // Only this executor's thread writes its counter: a plain load and store, no locked
  // instruction (seq_cst stores were, as a full fence each: 7% of a one-thread spawn).
  std::atomic<std::uint64_t>& submitted = shards_[here->index()].submitted;
  submitted.store(submitted.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void RuntimeCore::enlist(TaskBase& task, Executor& executor) noexcept {
  LiveShard& shard = shards_[executor.index()];
  task.live_shard = static_cast<std::uint16_t>(executor.index());
  {
    std::lock_guard lock(shard.lock);
    shard.tasks.push_back(task);
    shard.listed.store(shard.listed.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  // Listed before counted as begun (release): live_count reads `begun` first (acquire), so
  // it never sees the task in neither place.
  shard.begun.store(shard.begun.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  // Either cancel_all finds it listed, or it sees the flag: cancel_all sets the flag before
  // it takes the shard's lock, which this thread took after or before it.
  if (shutting_down_.load(std::memory_order_acquire)) task.cancel();
}

void RuntimeCore::uncount_submitted_outside() noexcept {
  submitted_outside_.fetch_sub(1, std::memory_order_seq_cst);
  // Shutdown may be waiting with this task counted: let it read the count again.
  retired_signal_.fetch_add(1, std::memory_order_seq_cst);
  retired_signal_.notify_all();
  executors_[0]->unpark();
}

std::uint64_t RuntimeCore::live_count() const noexcept {
  // A task counts as submitted, then begun and listed, then unlisted when it ends; so live =
  // submitted - begun + listed. Read in the order opposite to those steps (begun, listed,
  // submitted), each an acquire: a step seen implies the earlier steps are seen, so a live
  // task is never missed. A task spawned by another is submitted before that one ends.
  // (seq_cst, not just acquire: shutdown's wait pairs these loads with retire's, Dekker
  // style; on x86 a seq_cst load is a plain one.)
  const std::size_t n = executors_.size();
  std::uint64_t begun = 0, listed = 0, submitted = 0;
  for (std::size_t i = 0; i < n; ++i) begun += shards_[i].begun.load(std::memory_order_seq_cst);
  for (std::size_t i = 0; i < n; ++i) listed += shards_[i].listed.load(std::memory_order_seq_cst);
  for (std::size_t i = 0; i < n; ++i) submitted += shards_[i].submitted.load(std::memory_order_seq_cst);
  submitted += submitted_outside_.load(std::memory_order_seq_cst);
  return submitted - begun + listed;
}

void RuntimeCore::submit(TaskBase& task, std::size_t executor_index) noexcept {
  if (stopped_.load(std::memory_order_acquire)) {
    // Nothing runs any more: the task ends at once and its handle reports why.
    task.finish_unstarted(std::make_exception_ptr(
        system_error(make_error_code(errc::runtime_stopped), "zio: spawn on a runtime that was shut down")));
    return;
  }
  Executor* here = Executor::current();
  if (here && &here->core() != this) here = nullptr;
  count_submitted(here);
  if (!here && shutting_down_.load(std::memory_order_seq_cst)) {
    // From outside, during shutdown: shutdown may already have seen no live task and be
    // stopping the executors, so nobody would run this one (issue 17, bug 3). It never
    // starts. Counted first and checked after, both seq_cst, against shutdown's store of
    // the flag and its reads of the count: either shutdown counts this task live (and
    // waits for it), or this sees the flag. A fiber's spawn needs no such care: its spawner
    // is live, so shutdown is still waiting.
    uncount_submitted_outside();
    task.finish_unstarted(std::make_exception_ptr(Canceled("zio: spawned while the runtime was shutting down")));
    return;
  }
  task.note_queued();
  // With one executor there is nobody to steal: pinned queues are plain lists, cheaper than
  // the stealable ring's atomics.
  task.pinned = executor_index != npos || options_.pin_fibers || executors_.size() == 1;
  if (task.pinned) {
    // An explicit executor, else the spawner's, else round-robin over all.
    Executor* target = executor_index != npos ? executors_[executor_index % executors_.size()].get() : here;
    if (!target) target = executors_[next_executor_.fetch_add(1, std::memory_order_relaxed) % executors_.size()].get();
    task.executor = target;
    target->schedule_pinned(task, /*prefer_next=*/false, here);
  } else if (here) {
    task.executor = here;
    here->schedule_local(task, /*prefer_next=*/false);
  } else {
    task.executor = executors_[0].get();
    inject(task);
  }
}

void RuntimeCore::inject(TaskBase& task) noexcept {
  TaskQueue one;
  one.push_back(task);
  inject(one);
}

void RuntimeCore::inject(TaskQueue& batch) noexcept {
  {
    std::lock_guard lock(inject_lock_);
    std::size_t n = 0;
    for (TaskBase* t = batch.front(); t; t = t->next_ready.load(std::memory_order_relaxed)) ++n;
    injected_.splice_back(batch);
    injected_size_.fetch_add(n, std::memory_order_seq_cst);
  }
  notify_work();
}

TaskBase* RuntimeCore::take_injected(Executor& executor) noexcept {
  if (injected_size_.load(std::memory_order_acquire) == 0) return nullptr;
  std::lock_guard lock(inject_lock_);
  TaskBase* first = injected_.pop_front();
  if (!first) return nullptr;
  std::size_t taken = 1;
  // Take a fair share (at most 32) so the others find some too.
  const std::size_t size = injected_size_.load(std::memory_order_relaxed);
  const std::size_t share = std::min<std::size_t>(32, size / executors_.size() + 1);
  while (taken < share) {
    TaskBase* task = injected_.front();
    if (!task || !executor.stealable().push(*task)) break;
    injected_.pop_front();
    ++taken;
  }
  injected_size_.fetch_sub(taken, std::memory_order_seq_cst);
  return first;
}

TaskBase* RuntimeCore::steal_for(Executor& thief) noexcept {
  const std::size_t n = executors_.size();
  if (n == 1) return nullptr;
  // Start somewhere different each time so thieves spread over the victims.
  thread_local std::uint32_t seed = 0x9e3779b9u;
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  std::size_t start = seed % n;
  std::uint32_t batch = StealQueue::capacity;
  if (Chaos& chaos = thief.chaos(); chaos.on()) {  // chaos: the seed's victim and batch size
    start = chaos.below(static_cast<std::uint32_t>(n));
    batch = 1 + chaos.below(StealQueue::capacity);
  }
  for (std::size_t i = 0; i < n; ++i) {
    Executor& victim = *executors_[(start + i) % n];
    if (&victim == &thief) continue;
    if (TaskBase* task = victim.stealable().steal_into(thief.stealable(), batch)) return task;
  }
  return nullptr;
}

void RuntimeCore::notify_work() noexcept {
  if (executors_.size() == 1) {
    executors_[0]->unpark();  // cheap when it is running: that is the usual case
    return;
  }
  if (searching_.load(std::memory_order_seq_cst) != 0) return;
  if (idle_count_.load(std::memory_order_seq_cst) == 0) return;
  Executor* chosen = nullptr;
  {
    std::lock_guard lock(idle_lock_);
    if (idle_.empty() || searching_.load(std::memory_order_relaxed) != 0) return;
    chosen = idle_.back();
    idle_.pop_back();
    idle_count_.fetch_sub(1, std::memory_order_seq_cst);
    searching_.fetch_add(1, std::memory_order_seq_cst);
  }
  chosen->unpark();
}

void RuntimeCore::begin_search() noexcept { searching_.fetch_add(1, std::memory_order_seq_cst); }

void RuntimeCore::enter_idle(Executor& executor) noexcept {
  if (executors_.size() == 1) return;
  std::lock_guard lock(idle_lock_);
  idle_.push_back(&executor);  // capacity reserved for every executor up front
  idle_count_.fetch_add(1, std::memory_order_seq_cst);
}

bool RuntimeCore::leave_idle(Executor& executor) noexcept {
  if (executors_.size() == 1) return false;
  std::lock_guard lock(idle_lock_);
  for (std::size_t i = 0; i < idle_.size(); ++i) {
    if (idle_[i] == &executor) {
      idle_[i] = idle_.back();
      idle_.pop_back();
      idle_count_.fetch_sub(1, std::memory_order_seq_cst);
      return false;
    }
  }
  return true;  // a notifier took us out and counted us as searching
}

void RuntimeCore::searcher_found_work() noexcept {
  if (searching_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
      (injected_size_.load(std::memory_order_seq_cst) != 0 || any_stealable_work())) {
    notify_work();
  }
}

bool RuntimeCore::any_stealable_work() const noexcept {
  for (const auto& e : executors_) {
    if (!e->stealable().empty()) return true;
  }
  return false;
}

bool RuntimeCore::has_work_for(const Executor&) const noexcept {
  if (injected_size_.load(std::memory_order_seq_cst) != 0) return true;
  return executors_.size() > 1 && any_stealable_work();
}

void RuntimeCore::retire(TaskBase& task) noexcept {
  if (task.live_shard == TaskBase::unlisted) return;  // never ran (spawned after the stop)
  LiveShard& shard = shards_[task.live_shard];
  {
    std::lock_guard lock(shard.lock);
    shard.tasks.erase(task);
    shard.listed.fetch_sub(1, std::memory_order_seq_cst);  // any executor: a locked op
  }
  // seq_cst, with shutdown's store of the flag and its loads of the counts: either shutdown
  // sees this task gone, or this sees the flag and signals.
  if (shutting_down_.load(std::memory_order_seq_cst)) {
    // Shutdown waits for the last task: on executor 0's loop or blocked on the signal.
    retired_signal_.fetch_add(1, std::memory_order_seq_cst);
    retired_signal_.notify_all();
    executors_[0]->unpark();
  }
}

void RuntimeCore::check_plain_thread(const char* call) const {
  if (Executor::current()) {
    throw std::logic_error(std::string(call) + " called from a fiber or executor thread of a runtime; "
                           "use spawn and join there instead");
  }
}

void RuntimeCore::run_root(TaskBase& task) {
  // On misuse the task was never submitted: drop the reference its fiber would have held
  // (block_on's handle drops the other) and report.
  try {
    check_plain_thread("zio::Runtime::block_on");
  } catch (...) {
    task.release();
    throw;
  }
  if (threaded()) {
    submit(task);
    task.wait_done("zio::Runtime::block_on");
    return;
  }
  if (driving_.exchange(true, std::memory_order_acq_rel)) {
    task.release();
    throw std::logic_error("zio::Runtime::block_on: another thread is already inside block_on of this runtime");
  }
  struct Release {
    std::atomic<bool>& flag;
    ~Release() { flag.store(false, std::memory_order_release); }
  } release{driving_};
  submit(task);
  executors_[0]->run([&task] { return task.is_done(); });
}

boost::asio::io_context& RuntimeCore::next_io() noexcept {
  if (!threaded()) return executors_[0]->io();
  return executors_[next_io_.fetch_add(1, std::memory_order_relaxed) % executors_.size()]->io();
}

void RuntimeCore::cancel_all() noexcept {
  for (std::size_t i = 0; i < executors_.size(); ++i) {
    std::lock_guard lock(shards_[i].lock);
    shards_[i].tasks.for_each([](TaskBase& task) { task.cancel(); });
  }
}

void RuntimeCore::shutdown() {
  if (stopped_.load(std::memory_order_acquire)) return;
  check_plain_thread("zio::Runtime::shutdown (or ~Runtime)");
  shutting_down_.store(true, std::memory_order_seq_cst);
  cancel_all();
  if (threaded()) {
    for (;;) {
      // The signal is read before the count: a task retired after the count was taken
      // changes the signal, so the wait returns.
      const std::uint32_t signal = retired_signal_.load(std::memory_order_seq_cst);
      if (live_count() == 0) break;
      retired_signal_.wait(signal, std::memory_order_seq_cst);
    }
  } else {
    if (driving_.exchange(true, std::memory_order_acq_rel)) {
      throw std::logic_error("zio::Runtime::shutdown called while another thread is inside block_on");
    }
    struct Release {
      std::atomic<bool>& flag;
      ~Release() { flag.store(false, std::memory_order_release); }
    } release{driving_};
    executors_[0]->run([this] { return live_count() == 0; });
  }
  // No fiber waits for a blocking job any more; running ones still finish first.
  blocking_.shutdown();
  stop_workers();
  // Every task that began has ended (on_finished checks "exactly once"), and none is left
  // queued. (live_count() itself is not checked: a plain thread may be between counting a
  // spawn and taking the count back, in submit's shutdown path, while this runs.)
  for (std::size_t i = 0; i < executors_.size(); ++i) {
    ZIO_INVARIANT(shards_[i].listed.load() == 0, "shutdown ended with tasks still running");
  }
  ZIO_INVARIANT(injected_size_.load() == 0, "shutdown ended with tasks in the shared queue");
  for ([[maybe_unused]] auto& executor : executors_) {
    ZIO_INVARIANT(executor->queues_empty(), "shutdown ended with tasks in an executor's queues");
  }
}

}  // namespace zio::detail
