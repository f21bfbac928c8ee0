#pragma once
#include <zio/runtime/join_handle.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace zio {

namespace detail {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool sanitized_build = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool sanitized_build = true;
#else
inline constexpr bool sanitized_build = false;
#endif
#else
inline constexpr bool sanitized_build = false;
#endif
}  // namespace detail

/// One per hardware thread (at least 1).
std::size_t default_executors() noexcept;

/// Settings of a Runtime, built with designated initialisers: `Runtime rt({.stack_size = 1 << 20})`.
struct RuntimeOptions {
  /// Executor threads; at least 1. The default is one per core. With 1, the executor runs on
  /// the thread inside block_on() (fibers spawned from other threads wait for it), like
  /// Tokio's current_thread runtime. With more, each executor has its own thread, block_on()
  /// just waits for the root fiber, idle executors steal work and fibers migrate.
  std::size_t executors = default_executors();
  /// Keep every fiber on the executor it was spawned on (no stealing, no migration).
  bool pin_fibers = false;
  /// Usable bytes of each fiber stack (rounded up to pages; a guard page is added). Memory is
  /// reserved, not committed: a fiber costs only the pages it touched. Sanitizer builds get
  /// 4x by default because instrumented frames are larger. At least 16 KiB.
  std::size_t stack_size = (detail::sanitized_build ? 4 : 1) * 256 * 1024;
  /// Finished fibers' stacks kept per executor for reuse; more are unmapped.
  std::size_t max_cached_stacks = 1024;
  /// Most helper threads of the blocking pool (spawn_blocking, DNS, file I/O without
  /// io_uring); at least 1. Threads start on demand; more jobs than threads wait in a queue.
  std::size_t blocking_threads = 64;
  /// A blocking-pool thread without work for this long exits.
  std::chrono::milliseconds blocking_keep_alive{10'000};
  /// Use io_uring for the reads and writes of zio::fs::File when zio was built with it (Meson
  /// option `io_uring`) and the kernel allows it; else, or when false, they run on the
  /// blocking pool. Decided when a File is opened; see File::uses_io_uring().
  bool io_uring_files = true;
  /// Chaos scheduling, for tests: with a seed other than 0 the executors take random legal
  /// choices at every scheduling decision (extra yields, migrations, steals, timer order,
  /// shortened parks; docs/reliability.md). Slower, never wrong. 0 uses the environment
  /// variable ZIO_CHAOS (a decimal seed) if set, so any program can run under chaos.
  std::uint64_t chaos_seed = 0;
};

/// Owns executors (each a run queue plus one Asio io_context) and the fibers on them.
///
/// Destruction (or shutdown()) follows these steps:
///  1. new spawns are accepted but cancelled before they start;
///  2. every live fiber is cancelled: its current or next blocking call throws `Canceled`;
///  3. the executors run until every fiber has unwound and finished;
///  4. executor threads stop and join; io_contexts are destroyed.
/// A fiber that never blocks again keeps step 3 waiting, as a goroutine would.
class Runtime {
 public:
  /// Throws std::invalid_argument naming the option that makes no sense.
  explicit Runtime(RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Runs fn(args...) as a root fiber until it returns; returns its result or rethrows its
  /// exception. With one executor, the calling thread drives it meanwhile; fibers still alive
  /// afterwards keep their state and go on at the next block_on (or are cancelled by
  /// destruction). Call from a plain thread; with one executor, one block_on at a time.
  /// Misuse throws std::logic_error.
  template <typename F, typename... Args>
  auto block_on(F&& fn, Args&&... args) {
    auto* task = detail::make_task(core(), std::forward<F>(fn), std::forward<Args>(args)...);
    JoinHandle<detail::TaskResultOf<F, Args...>> handle(task);
    run_root(*task);
    return handle.join();
  }

  /// Starts fn(args...) as a fiber on this runtime. Any thread, fiber or plain; thread-safe.
  /// The function and arguments are moved into the fiber (one allocation).
  template <typename F, typename... Args>
  JoinHandle<detail::TaskResultOf<F, Args...>> spawn(F&& fn, Args&&... args) {
    return JoinHandle<detail::TaskResultOf<F, Args...>>(
        detail::spawn_on(core(), std::forward<F>(fn), std::forward<Args>(args)...));
  }

  /// Starts fn(args...) as a fiber that runs on executor `executor_index` only (it never
  /// migrates). Any thread. Throws std::out_of_range for an index >= executors.
  template <typename F, typename... Args>
  JoinHandle<detail::TaskResultOf<F, Args...>> spawn_on(std::size_t executor_index, F&& fn, Args&&... args) {
    auto* task = detail::make_task(core(), std::forward<F>(fn), std::forward<Args>(args)...);
    JoinHandle<detail::TaskResultOf<F, Args...>> handle(task);
    detail::submit_pinned(core(), *task, executor_index);
    return handle;
  }

  /// Cancels every fiber and waits for all of them (steps 1-4 above). Plain thread only;
  /// idempotent; the destructor calls it.
  void shutdown();

  const RuntimeOptions& options() const noexcept;

 private:
  detail::RuntimeCore& core() noexcept { return *core_; }
  void run_root(detail::TaskBase& task);

  std::unique_ptr<detail::RuntimeCore> core_;
};

}  // namespace zio
