#pragma once
// zio's own readiness tracking for stream sockets: one edge-triggered epoll instance per
// executor, and per registered descriptor a Readiness record that fibers wait on (Tokio's
// ScheduledIo, Go's pollDesc). Internal: included by zio's .cpp files only.
//
// Why not Asio's reactor for stream reads and writes: every Asio read starts with an attempt
// under the reactor's lock, so a read that has to wait costs a failing recv first, and Asio
// learns that a socket is drained only at end of file. Here a read that came back short, or
// would block, clears the socket's readiness, and the next read waits for the kernel's next
// edge without trying: the echo benchmark's server side reads once per message, as a
// hand-written epoll loop does.
//
// The epoll instance sits in the executor's io_context as one more descriptor (a
// posix::stream_descriptor awaiting readability), so a parked executor wakes for socket
// events as for any other Asio work; a busy one polls it directly whenever it runs out of
// tasks, without blocking.
//
// Lifetime: a Readiness is freed only by its poller, on the poller's thread, at the start of a
// poll that began after the descriptor left the epoll set: an event already harvested for it
// can never point at freed memory.
#include <zio/detail/intrusive_list.hpp>
#include <zio/detail/spin_lock.hpp>
#include <zio/detail/task.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace zio::detail {

/// The direction a fiber waits for.
enum class Interest : std::uint8_t { read = 0, write = 1 };

class Poller;

/// One registered descriptor's readiness as the epoll edges reported it.
class Readiness {
 public:
  /// A reading of the state: the ready bits and the count of events seen so far.
  struct Snapshot {
    std::uint64_t value;
    bool ready(Interest interest) const noexcept;
    /// The peer ended its side (or the socket failed): reads return at once from now on.
    bool read_closed() const noexcept;
  };

  Snapshot snapshot() const noexcept { return {state_.load(std::memory_order_acquire)}; }

  /// The last attempt in `interest`'s direction would block, or drained the socket: forget
  /// that direction's readiness, unless an event arrived since `seen` was taken (then the
  /// caller simply tries again).
  void clear(Interest interest, Snapshot seen) noexcept;

  /// Waits (fiber or plain thread) until `interest` is ready. Returns {} when ready;
  /// operation_aborted when the socket was closed meanwhile; errc::timed_out past
  /// `deadline`; errc::canceled when the fiber was cancelled.
  error_code wait(Interest interest, const std::chrono::steady_clock::time_point* deadline) noexcept;

  /// Any thread, before `fd` is closed: stops tracking it; waiters return operation_aborted.
  /// Idempotent. `fd_still_open` is false when the descriptor was closed already (the kernel
  /// dropped it from the set, and its number may belong to another socket by now).
  void stop(int fd, bool fd_still_open) noexcept;

  /// Stands in a socket's readiness slot while one fiber registers it; never dereferenced.
  static Readiness* registering() noexcept { return marker<0>(); }
  /// Stands in the slot of a socket closed before it ever registered: a wait that finds it
  /// returns operation_aborted instead of registering. Never dereferenced.
  static Readiness* closed() noexcept { return marker<1>(); }

  /// The owner is done with it (socket destroyed or replaced): stops tracking `fd` if still
  /// needed and leaves the memory to the poller, which frees it when no event can name it.
  static void release(Readiness* readiness, int fd, bool fd_still_open) noexcept;

 private:
  friend class Poller;
  explicit Readiness(Poller& poller) noexcept : poller_(poller) {}
  // Inline, so a stream call compares its slot with a constant address instead of calling.
  template <int Which>
  static Readiness* marker() noexcept {
    alignas(alignof(std::max_align_t)) static char storage;
    return reinterpret_cast<Readiness*>(&storage);
  }
  void on_event(std::uint32_t epoll_events) noexcept;

  Poller& poller_;
  std::atomic<std::uint64_t> state_{0};  // ready bits in the low byte, event count above
  SpinLock lock_;
  IntrusiveList<WaitNode> waiters_[2];   // per Interest; guarded by lock_
  bool deregistered_ = false;            // guarded by lock_
  Readiness* next_retired_ = nullptr;    // link in the poller's retired stack
};

/// One executor's epoll instance. add and poll on the executor's thread; Readiness::stop and
/// release from any.
class Poller {
 public:
  explicit Poller(boost::asio::io_context& io) noexcept : watcher_(io) {}
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  /// The executor's thread: starts tracking `fd` (edge-triggered: in, out, peer closed).
  /// Returns nullptr with `ec` set when epoll refuses.
  Readiness* add(int fd, error_code& ec) noexcept;

  /// The executor's thread: delivers the events that are ready now, without blocking.
  /// Returns whether there were any.
  bool poll() noexcept;

 private:
  friend class Readiness;
  void watch() noexcept;
  void retire(Readiness& readiness) noexcept;
  void free_retired() noexcept;

  int epoll_fd_ = -1;                          // created by the first add
  boost::asio::posix::stream_descriptor watcher_;  // epoll_fd_ inside the io_context's reactor
  std::atomic<Readiness*> retired_{nullptr};  // released, freed by the next poll (a stack)
};

}  // namespace zio::detail
