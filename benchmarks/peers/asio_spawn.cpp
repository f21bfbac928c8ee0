// asio::spawn peer of the benchmark suite (Boost.Asio 1.81 stackful coroutines on Boost.Context);
// the contract is benchmarks/README.md.
//
// Written the way an Asio user writes it: the default `yield_context` and
// `experimental::channel<>`, both on the type-erased any_io_executor, and spawn()'s default stack
// (a 128 KiB boost::context::fixedsize_stack, malloc'd).
//
// Threads: one io_context, run by the main thread (threads 1, concurrency hint 1) or by the main
// thread and one helper (threads 2). One io_context shared by a thread pool, with strands where
// objects are shared, is Asio's own multi-threaded idiom and the nearest to the work-sharing
// runtimes compared here; an io_context per thread would pin every connection and coroutine to a
// thread, which no benchmark but echo could use. What that means for threads 2:
//
//   ping_pong  Asio channels are not thread-safe, so both coroutines and both channels live on
//              one strand: the rounds are serialised, and the second thread only adds hand-offs.
//   idle       a steady_timer is not thread-safe either: the n coroutines, the timer and main
//              share one strand.
//   spawn      the children are spawned on the plain io_context executor, but spawn() *dispatches*
//              its coroutine: called from a coroutine already running in the io_context, each
//              child runs inline to its end, its completion handler included, and its stack is
//              freed before spawn() returns. So one child exists at a time (one malloc'd stack,
//              reused), the bodies all run on main's thread, and the second thread idles. That
//              is what asio::spawn does; the figure is spawn + run + complete, back to back.
//   echo       no shared state: every coroutine owns its socket (one operation in flight, an
//              implicit strand), so all of them run on the plain executor and really use both
//              threads.
//
// The few one-off completion signals (the last spawned child, the last echo client) go through a
// concurrent_channel, which may be used from any thread.
#include "asio_echo.hpp"
#include "contract.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <exception>
#include <thread>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

using IntChannel = asio::experimental::channel<void(error_code, int)>;
using Signal = asio::experimental::channel<void(error_code)>;                 // one strand only
using ThreadSafeSignal = asio::experimental::concurrent_channel<void(error_code)>;  // any thread

// ping_pong: main is A, the spawned coroutine is B. Both channels have capacity 1. Runs on
// `yield`'s executor: the io_context (threads 1) or one strand (threads 2).
double ping_pong(long rounds, asio::yield_context yield) {
  const asio::any_io_executor ex = yield.get_executor();
  IntChannel ping(ex, 1);
  IntChannel pong(ex, 1);
  Signal b_done(ex, 1);
  peers::Stopwatch watch;
  asio::spawn(
      ex,
      [&](asio::yield_context y) {
        error_code ec;
        for (;;) {
          int value = ping.async_receive(y[ec]);
          if (ec) break;  // closed: A is done
          pong.async_send(error_code(), value, y[ec]);
          if (ec) peers::fail("ping_pong: send on pong: " + ec.message());
        }
        b_done.try_send(error_code());
      },
      asio::detached);
  error_code ec;
  for (long i = 0; i < rounds; ++i) {
    ping.async_send(error_code(), int(i), yield[ec]);
    if (ec) peers::fail("ping_pong: send on ping: " + ec.message());
    int value = pong.async_receive(yield[ec]);
    if (ec || value != int(i)) peers::fail("ping_pong: wrong value back");
  }
  double ns = watch.nanoseconds();
  ping.close();
  b_done.async_receive(yield);  // B no longer touches the channels
  return ns / double(rounds);
}

// spawn: n detached children on the plain executor; the one that reaches n signals main.
double spawn(long n, asio::yield_context yield) {
  const asio::any_io_executor ex = yield.get_executor();
  std::atomic<long> counter{0};
  ThreadSafeSignal all_done(ex, 1);
  peers::Stopwatch watch;
  for (long i = 0; i < n; ++i) {
    asio::spawn(
        ex,
        [&counter, &all_done, n](asio::yield_context) {
          // acq_rel: the child that reaches n has seen every other increment.
          if (counter.fetch_add(1, std::memory_order_acq_rel) + 1 == n) all_done.try_send(error_code());
        },
        asio::detached);
  }
  // Each child has run to completion inside its spawn() (see the file comment): the signal is
  // already there.
  all_done.async_receive(yield);
  double seconds = watch.seconds();
  if (counter.load() != n) peers::fail("spawn: counter does not match n");
  return double(n) / seconds;
}

// idle: n coroutines park on one steady_timer that never expires; cancel() releases them all with
// operation_aborted. A timer rather than a channel: one timer is Asio's event that any number of
// waiters can share, where a channel would need a close (or n sends) to release them. All on
// `yield`'s executor (a strand with threads 2), so the plain counters need no atomics.
double idle(long n, asio::yield_context yield) {
  const asio::any_io_executor ex = yield.get_executor();
  asio::steady_timer gate(ex, asio::steady_timer::time_point::max());
  Signal all_done(ex, 1);
  long parked = 0;
  long finished = 0;
  long rss_before = peers::vm_rss_bytes();
  for (long i = 0; i < n; ++i) {
    asio::spawn(
        ex,
        [&, n](asio::yield_context y) {
          ++parked;
          error_code ec;
          gate.async_wait(y[ec]);
          if (ec != asio::error::operation_aborted) peers::fail("idle: the gate opened by itself");
          if (++finished == n) all_done.try_send(error_code());
        },
        asio::detached);
  }
  // spawn() dispatches, so each child has already run up to its async_wait; this never loops in
  // practice but does not rely on it.
  while (parked != n) asio::post(yield);
  long rss_parked = peers::vm_rss_bytes();
  gate.cancel();
  all_done.async_receive(yield);
  return double(rss_parked - rss_before) / double(n);
}

void echo_session(tcp::socket socket, asio::yield_context yield) {
  peers::asio_echo_session(socket, [&](error_code& ec) { return yield[ec]; });
}

void echo_client(tcp::endpoint server, int client, long rounds, asio::yield_context yield) {
  tcp::socket socket(yield.get_executor());
  peers::asio_echo_client(socket, server, client, rounds, [&](error_code& ec) { return yield[ec]; });
}

double echo(long rounds, asio::yield_context yield) {
  const asio::any_io_executor ex = yield.get_executor();
  tcp::acceptor acceptor(ex, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const tcp::endpoint server = acceptor.local_endpoint();
  // Accepts exactly the 10 clients; each session ends at its client's EOF.
  asio::spawn(
      ex,
      [&acceptor](asio::yield_context y) {
        for (int i = 0; i < peers::echo_clients; ++i) {
          tcp::socket socket = acceptor.async_accept(y);
          asio::spawn(
              y.get_executor(),
              [s = std::move(socket)](asio::yield_context yy) mutable { echo_session(std::move(s), yy); },
              asio::detached);
        }
      },
      asio::detached);

  // The clock includes the clients' connects: part of their work, negligible against n rounds.
  std::atomic<int> clients_left{peers::echo_clients};
  ThreadSafeSignal all_done(ex, 1);
  peers::Stopwatch watch;
  for (int c = 0; c < peers::echo_clients; ++c) {
    asio::spawn(
        ex,
        [&, c](asio::yield_context y) {
          echo_client(server, c, rounds, y);
          if (clients_left.fetch_sub(1, std::memory_order_acq_rel) == 1) all_done.try_send(error_code());
        },
        asio::detached);
  }
  all_done.async_receive(yield);
  double seconds = watch.seconds();
  return double(rounds) * peers::echo_clients / seconds;
}

// Runs `io` on the calling thread, plus one helper thread when threads == 2; an exception out of
// a handler (the main coroutine rethrows its own) fails the run.
void run(asio::io_context& io, int threads) {
  auto run_checked = [&io] {
    try {
      io.run();
    } catch (const std::exception& e) {
      peers::fail(e.what());
    }
  };
  if (threads == 1) {
    run_checked();
    return;
  }
  std::thread helper(run_checked);
  run_checked();
  helper.join();
}

}  // namespace

int main(int argc, char** argv) {
  peers::Options o = peers::parse_options(argc, argv);
  asio::io_context io{o.threads};

  // ping_pong and idle share state among coroutines: with two threads, one strand.
  const bool shared_state = o.benchmark == "ping_pong" || o.benchmark == "idle";
  const asio::any_io_executor ex = (shared_state && o.threads == 2)
                                       ? asio::any_io_executor(asio::make_strand(io))
                                       : asio::any_io_executor(io.get_executor());
  double value = 0;
  const char* unit = "";
  asio::spawn(
      ex,
      [&](asio::yield_context yield) {
        if (o.benchmark == "ping_pong") {
          value = ping_pong(o.n, yield);
          unit = "ns/round";
        } else if (o.benchmark == "spawn") {
          value = spawn(o.n, yield);
          unit = "spawns/s";
        } else if (o.benchmark == "echo") {
          value = echo(o.n, yield);
          unit = "msg/s";
        } else {
          value = idle(o.n, yield);
          unit = "B/task";
        }
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  run(io, o.threads);
  return peers::print_result(value, unit);
}
