#include <zio/detail/runtime_core.hpp>

#include <zio/coro/overflow_guard.hpp>
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
  constexpr std::size_t min_stack = 16 * 1024;
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

RuntimeCore::RuntimeCore(const RuntimeOptions& options) : options_(options) {
  validate(options_);
  install_overflow_handler(options_.stack_size);
  ignore_sigpipe_once();
  executors_.reserve(options_.executors);
  for (std::size_t i = 0; i < options_.executors; ++i) {
    executors_.push_back(std::make_unique<Executor>(*this, i));
  }
  start_worker_threads();
}

RuntimeCore::~RuntimeCore() { shutdown(); }

void RuntimeCore::start_worker_threads() {
  if (!threaded()) return;
  for (std::size_t i = 0; i < executors_.size(); ++i) {
    workers_.emplace_back([this, i] {
      executors_[i]->run([this] { return stopped_.load(std::memory_order_seq_cst); });
    });
  }
}

void RuntimeCore::enqueue(TaskBase& task, Executor& target) noexcept {
  {
    std::lock_guard lock(live_lock_);
    live_.push_back(task);
    live_count_.fetch_add(1, std::memory_order_relaxed);
  }
  if (shutting_down_.load(std::memory_order_acquire)) task.cancel();
  task.executor = &target;
  target.schedule(task, /*prefer_next=*/false);
}

void RuntimeCore::submit(TaskBase& task) noexcept {
  // From a fiber of this runtime: its own executor, behind the tasks already ready. From
  // anywhere else: round-robin over the executors.
  Executor* here = Executor::current();
  if (!here || &here->core() != this) {
    here = executors_[next_executor_.fetch_add(1, std::memory_order_relaxed) % executors_.size()].get();
  }
  enqueue(task, *here);
}

void RuntimeCore::retire(TaskBase& task) noexcept {
  std::size_t left;
  {
    std::lock_guard lock(live_lock_);
    live_.erase(task);
    left = live_count_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  }
  if (left == 0 && shutting_down_.load(std::memory_order_acquire)) {
    // Shutdown is waiting for the last task: on executor 0's loop or blocked on the counter.
    live_count_.notify_all();
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
    enqueue(task, *executors_[0]);
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
  enqueue(task, *executors_[0]);
  executors_[0]->run([&task] { return task.is_done(); });
}

void RuntimeCore::cancel_all() noexcept {
  std::lock_guard lock(live_lock_);
  live_.for_each([](TaskBase& task) { task.cancel(); });
}

void RuntimeCore::shutdown() {
  if (stopped_.load(std::memory_order_acquire)) return;
  check_plain_thread("zio::Runtime::shutdown (or ~Runtime)");
  shutting_down_.store(true, std::memory_order_release);
  cancel_all();
  if (threaded()) {
    for (std::size_t n; (n = live_count_.load(std::memory_order_acquire)) != 0;) live_count_.wait(n);
  } else {
    if (driving_.exchange(true, std::memory_order_acq_rel)) {
      throw std::logic_error("zio::Runtime::shutdown called while another thread is inside block_on");
    }
    executors_[0]->run([this] { return live_count_.load(std::memory_order_seq_cst) == 0; });
    driving_.store(false, std::memory_order_release);
  }
  stopped_.store(true, std::memory_order_seq_cst);
  for (auto& executor : executors_) executor->unpark();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

}  // namespace zio::detail
