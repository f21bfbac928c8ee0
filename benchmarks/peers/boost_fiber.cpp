// Boost.Fiber 1.81 peer of the benchmark suite; the contract is benchmarks/README.md.
//
// Threads
//
//   1  the default scheduler, round_robin, on the main thread.
//   2  algo::work_stealing(2) on the main thread and on one helper thread (StealingHelper).
//      Both threads must install the algorithm: its constructor waits until `thread_count`
//      schedulers have registered. The helper's main fiber parks on a fiber condition variable
//      until main is done, leaving the helper's dispatcher free to steal.
//
//      work_stealing keeps its default `suspend = false`, so a thread with nothing to run spins
//      through steal attempts instead of sleeping: awakened() queues a fiber locally without
//      notifying any other thread, so a sleeping thief (suspend = true) would only wake for fibers
//      of its own and never steal. Both cores are therefore busy for the whole run.
//
// Benchmarks
//
//   ping_pong  two fibers, two buffered_channel<long>(2): see ping_pong() for why 2 means 1.
//   spawn      n detached fibers (launch::post, the default stack: 128 KiB fixedsize_stack);
//              the last one to count sets a fiber promise that main waits on.
//   idle       n fibers wait on one condition_variable (the classic event: mutex + flag);
//              chosen over a shared_future because the same mutex also counts who is parked.
//   echo       threads 1 only. Boost.Fiber has no reactor, so this file brings the classic
//              integration with an Asio io_context (AsioScheduler, fiber_yield): see below.
//              threads 2 is UNSUPPORTED: that would need a work-stealing scheduler that also
//              drives an io_context per thread, which Boost.Fiber does not provide.
//
// State that a fiber on another thread may still touch after main has been woken (the promise a
// last fiber is setting, the mutex it is unlocking) belongs to main() and is declared before the
// helper thread, so it outlives the helper's join. (Not static: a fiber promise destroyed after
// the thread's scheduler has gone reports a deadlock.)
#include "asio_echo.hpp"
#include "contract.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/fiber/all.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using boost::asio::ip::tcp;
using boost::fibers::channel_op_status;

// The second thread of `threads = 2`: installs work_stealing and parks its main fiber until the
// destructor releases it, then is joined.
class StealingHelper {
 public:
  StealingHelper() : thread_([this] { run(); }) {}

  ~StealingHelper() {
    {
      std::unique_lock lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  StealingHelper(const StealingHelper&) = delete;
  StealingHelper& operator=(const StealingHelper&) = delete;

 private:
  void run() {
    boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(2);
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
  }

  boost::fibers::mutex mutex_;              // guards done_; fiber primitives work across threads
  boost::fibers::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // last: started after the members above exist
};

// ping_pong: A sends i on `ping` and waits for it on `pong`; B echoes. Capacity 1 is what the
// README asks for. buffered_channel only accepts a power of two >= 2, but its ring buffer always
// keeps one slot free (full means `(push index + 1) % capacity == pop index`), so
// buffered_channel(2) holds at most one value: exactly capacity 1. (Even a true capacity 2 would
// behave the same here: strict alternation never has more than one value in a channel.)
// unbuffered_channel would be capacity 0, a rendezvous where every push also waits for the pop:
// a different, costlier workload.
double ping_pong(long rounds) {
  boost::fibers::buffered_channel<long> ping{2};
  boost::fibers::buffered_channel<long> pong{2};
  peers::Stopwatch watch;
  boost::fibers::fiber b([&] {
    long value = 0;
    while (ping.pop(value) == channel_op_status::success) {
      if (pong.push(value) != channel_op_status::success) peers::fail("ping_pong: pong closed");
    }
  });
  boost::fibers::fiber a([&] {
    for (long i = 0; i < rounds; ++i) {
      if (ping.push(i) != channel_op_status::success) peers::fail("ping_pong: ping closed");
      long value = -1;
      if (pong.pop(value) != channel_op_status::success || value != i) peers::fail("ping_pong: wrong value back");
    }
    ping.close();  // ends B
  });
  a.join();
  b.join();
  return watch.nanoseconds() / double(rounds);
}

// spawn: owned by main, see the file comment (the last fiber may still be inside set_value()).
struct SpawnState {
  std::atomic<long> counter{0};
  boost::fibers::promise<void> all_done;
};

double spawn(long n, SpawnState& s) {
  boost::fibers::future<void> all_done = s.all_done.get_future();
  peers::Stopwatch watch;
  for (long i = 0; i < n; ++i) {
    boost::fibers::fiber([&s, n] {
      // acq_rel: the fiber that reaches n has seen every other increment.
      if (s.counter.fetch_add(1, std::memory_order_acq_rel) + 1 == n) s.all_done.set_value();
    }).detach();
  }
  all_done.get();
  double seconds = watch.seconds();
  if (s.counter.load() != n) peers::fail("spawn: counter does not match n");
  return double(n) / seconds;
}

// idle: one mutex guards every counter and flag below; owned by main, see the file comment.
struct IdleState {
  boost::fibers::mutex mutex;
  boost::fibers::condition_variable all_parked;  // main waits for parked == n
  boost::fibers::condition_variable release;     // the event the n fibers park on
  boost::fibers::condition_variable all_done;    // main waits for finished == n
  long parked = 0;
  long finished = 0;
  bool released = false;
};

double idle(long n, IdleState& s) {
  long rss_before = peers::vm_rss_bytes();
  for (long i = 0; i < n; ++i) {
    boost::fibers::fiber([&s, n] {
      std::unique_lock lock(s.mutex);
      if (++s.parked == n) s.all_parked.notify_one();
      s.release.wait(lock, [&s] { return s.released; });
      if (++s.finished == n) s.all_done.notify_one();
    }).detach();
  }
  {
    std::unique_lock lock(s.mutex);
    s.all_parked.wait(lock, [&s, n] { return s.parked == n; });
  }
  long rss_parked = peers::vm_rss_bytes();
  {
    std::unique_lock lock(s.mutex);
    s.released = true;
  }
  s.release.notify_all();
  {
    std::unique_lock lock(s.mutex);
    s.all_done.wait(lock, [&s, n] { return s.finished == n; });
  }
  return double(rss_parked - rss_before) / double(n);
}

// ---- echo: Boost.Fiber on an Asio io_context ------------------------------------------------
//
// The classic integration (the idea of Boost.Fiber's examples/asio, written afresh):
//
//   1. AsioScheduler is a round-robin ready queue whose idle hook, suspend_until(), runs one Asio
//      handler (io_context::run_one, blocking in epoll_wait when nothing is queued) instead of
//      sleeping on a condition variable. A work guard keeps run_one() from returning at once
//      when no operation is pending.
//   2. An operation started with `fiber_yield` is initiated with a YieldHandler that points at a
//      result slot on the fiber's stack; the fiber then suspends itself (context::suspend, no
//      queue: nothing but the handler knows it).
//   3. Asio never runs a handler inside the initiating call, and handlers only run inside
//      run_one() on the dispatcher, after the fiber has suspended; so the handler's
//      context::schedule(fiber) always finds a suspended fiber. Single thread: no lock needed.
//   4. I/O is polled only when no fiber is ready. Every fiber here blocks on I/O once per
//      message, so completions are never starved; a general-purpose scheduler would also poll
//      every so many picks.

class AsioScheduler final : public boost::fibers::algo::algorithm {
 public:
  explicit AsioScheduler(boost::asio::io_context& io) : io_(io), work_(boost::asio::make_work_guard(io)) {}

  void awakened(boost::fibers::context* ctx) noexcept override { ctx->ready_link(ready_); }

  boost::fibers::context* pick_next() noexcept override {
    if (ready_.empty()) return nullptr;
    boost::fibers::context* ctx = &ready_.front();
    ready_.pop_front();
    return ctx;
  }

  bool has_ready_fibers() const noexcept override { return !ready_.empty(); }

  void suspend_until(std::chrono::steady_clock::time_point const& deadline) noexcept override {
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      io_.run_one();
    } else {
      io_.run_one_until(deadline);
    }
  }

  // A fiber of this thread was woken from another thread: break run_one()'s wait.
  void notify() noexcept override {
    boost::asio::post(io_, [] {});
  }

 private:
  boost::asio::io_context& io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::fibers::scheduler::ready_queue_type ready_;
};

// The completion token. `op(..., fiber_yield)` suspends the calling fiber until the operation
// completes and returns its value (if any); a failure throws boost::system::system_error, or is
// stored in `ec` with `fiber_yield[ec]`.
struct FiberYield {
  boost::system::error_code* ec = nullptr;
  FiberYield operator[](boost::system::error_code& e) const { return FiberYield{&e}; }
};
constexpr FiberYield fiber_yield{};

// Lives on the suspended fiber's stack; written by the handler, read by the fiber once resumed.
template <typename... Values>
struct YieldSlot {
  boost::fibers::context* fiber = boost::fibers::context::active();
  boost::system::error_code ec;
  std::optional<std::tuple<Values...>> values;  // optional: a value need not be default-constructible
};

template <typename... Values>
class YieldHandler {
 public:
  explicit YieldHandler(YieldSlot<Values...>* slot) : slot_(slot) {}

  // Runs on the dispatcher, inside AsioScheduler::suspend_until().
  void operator()(boost::system::error_code ec, Values... values) {
    slot_->ec = ec;
    slot_->values.emplace(std::move(values)...);
    boost::fibers::context::active()->schedule(slot_->fiber);
  }

 private:
  YieldSlot<Values...>* slot_;
};

}  // namespace

// The return type is spelled out, not deduced: Asio's overload resolution asks for it with
// signatures that would not compile (a move-accept of a socket into a socket) and must get a
// substitution failure rather than an error from an instantiated body.
template <typename... Values>
class boost::asio::async_result<FiberYield, void(boost::system::error_code, Values...)> {
 public:
  using return_type = std::tuple_element_t<0, std::tuple<Values..., void>>;

  template <typename Initiation, typename... Args>
  static return_type initiate(Initiation&& initiation, FiberYield token, Args&&... args) {
    YieldSlot<Values...> slot;
    std::forward<Initiation>(initiation)(YieldHandler<Values...>(&slot), std::forward<Args>(args)...);
    slot.fiber->suspend();
    if (token.ec) {
      *token.ec = slot.ec;
    } else if (slot.ec) {
      throw boost::system::system_error(slot.ec);
    }
    if constexpr (sizeof...(Values) == 1) {
      return std::get<0>(std::move(*slot.values));
    } else {
      static_assert(sizeof...(Values) == 0, "fiber_yield handles at most one value");
    }
  }
};

namespace {

void echo_session(tcp::socket socket) {
  peers::asio_echo_session(socket, [](boost::system::error_code& ec) { return fiber_yield[ec]; });
}

void echo_client(boost::asio::io_context& io, tcp::endpoint server, int client, long rounds) {
  tcp::socket socket(io);
  peers::asio_echo_client(socket, server, client, rounds, [](boost::system::error_code& ec) { return fiber_yield[ec]; });
}

double echo(long rounds) {
  // Static: the scheduler (a thread-local of the main thread, destroyed before statics) holds a
  // work guard on it until the very end.
  static boost::asio::io_context io{1};
  boost::fibers::use_scheduling_algorithm<AsioScheduler>(io);

  tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  const tcp::endpoint server = acceptor.local_endpoint();
  // Accepts exactly the 10 clients, then waits for their sessions, which end at the clients' EOF.
  boost::fibers::fiber listener([&] {
    std::vector<boost::fibers::fiber> sessions;
    for (int i = 0; i < peers::echo_clients; ++i) {
      tcp::socket socket(io);
      acceptor.async_accept(socket, fiber_yield);
      sessions.emplace_back(echo_session, std::move(socket));
    }
    for (auto& s : sessions) s.join();
  });

  // The clock includes the clients' connects: part of their work, and negligible against
  // 10 x n round trips.
  peers::Stopwatch watch;
  std::vector<boost::fibers::fiber> clients;
  for (int c = 0; c < peers::echo_clients; ++c) {
    clients.emplace_back([server, c, rounds] { echo_client(io, server, c, rounds); });
  }
  for (auto& c : clients) c.join();
  double seconds = watch.seconds();
  listener.join();
  return double(rounds) * peers::echo_clients / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  peers::Options o = peers::parse_options(argc, argv);
  if (o.benchmark == "echo") {
    if (o.threads != 1) {
      return peers::unsupported("Boost.Fiber has no I/O reactor; the Asio integration here is single-threaded");
    }
    try {
      return peers::print_result(echo(o.n), "msg/s");
    } catch (const std::exception& e) {
      peers::fail(std::string("echo: ") + e.what());
    }
  }

  // Declared before the helper, so destroyed after it is joined and while main's scheduler lives.
  SpawnState spawn_state;
  IdleState idle_state;
  std::optional<StealingHelper> helper;
  if (o.threads == 2) {
    helper.emplace();
    boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(2);
  }
  double value = 0;
  const char* unit = "";
  if (o.benchmark == "ping_pong") {
    value = ping_pong(o.n);
    unit = "ns/round";
  } else if (o.benchmark == "spawn") {
    value = spawn(o.n, spawn_state);
    unit = "spawns/s";
  } else {
    value = idle(o.n, idle_state);
    unit = "B/task";
  }
  helper.reset();  // joins the helper thread
  return peers::print_result(value, unit);
}
