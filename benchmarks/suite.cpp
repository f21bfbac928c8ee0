// zio's side of the peer comparison: the four workloads of benchmarks/README.md, written as
// a zio user would write them. Same contract and plumbing as the peers (peers/contract.hpp).
#include "peers/contract.hpp"

#include <zio/zio.hpp>

#include <atomic>
#include <vector>

namespace {

using peers::Options;

/// Two fibers bounce a counter through two channels of capacity 1.
int ping_pong(const Options& o) {
  zio::Runtime rt({.executors = std::size_t(o.threads)});
  const double ns = rt.block_on([n = o.n] {
    zio::Channel<long> ping(1);
    zio::Channel<long> pong(1);
    auto ponger = zio::spawn([&] {
      for (long i = 0; i < n; ++i) pong.send(*ping.receive());
    });
    peers::Stopwatch watch;
    for (long i = 0; i < n; ++i) {
      ping.send(i);
      if (pong.receive() != i) peers::fail("ping_pong: a round came back with the wrong value");
    }
    const double elapsed = watch.nanoseconds();
    ponger.join();
    return elapsed / double(n);
  });
  return peers::print_result(ns, "ns/round");
}

/// n detached fibers each bump a counter; the last one wakes the spawner.
int spawn(const Options& o) {
  zio::Runtime rt({.executors = std::size_t(o.threads)});
  const double per_second = rt.block_on([n = o.n] {
    std::atomic<long> count{0};
    zio::ResetEvent all_done;
    peers::Stopwatch watch;
    for (long i = 0; i < n; ++i) {
      zio::spawn([&count, &all_done, n] {
        if (count.fetch_add(1, std::memory_order_relaxed) + 1 == n) all_done.set();
      }).detach();
    }
    all_done.wait();
    return double(n) / watch.seconds();
  });
  return peers::print_result(per_second, "spawns/s");
}

/// The echo server's side of one connection: read what is there, write it back.
void echo_connection(zio::net::TcpStream stream) {
  unsigned char buffer[peers::echo_server_buffer];
  zio::error_code ec;
  for (std::size_t got; (got = stream.read_some(boost::asio::buffer(buffer), ec)), !ec;) {
    stream.write_all(boost::asio::buffer(buffer, got), ec);
    if (ec) break;
  }
}

/// One client: n rounds of "write 64 bytes, read the 64 echoed back, compare".
void echo_client(zio::net::Address server, int client, long n) {
  auto stream = zio::net::TcpStream::connect(server);
  stream.set_nodelay(true);
  unsigned char sent[peers::echo_message_size];
  unsigned char received[peers::echo_message_size];
  for (long round = 0; round < n; ++round) {
    peers::fill_echo_message(sent, client, round);
    stream.write_all(boost::asio::buffer(sent));
    stream.read_exact(boost::asio::buffer(received));
    peers::check_echo_reply(sent, received, client, round);
  }
}

int echo(const Options& o) {
  zio::Runtime rt({.executors = std::size_t(o.threads)});
  const double per_second = rt.block_on([n = o.n] {
    auto listener = zio::net::TcpListener::bind(zio::net::Address::parse("127.0.0.1:0"));
    auto server = zio::spawn([&listener] {
      for (;;) zio::spawn(echo_connection, listener.accept().stream).detach();
    });
    peers::Stopwatch watch;
    std::vector<zio::JoinHandle<void>> clients;
    for (int c = 0; c < peers::echo_clients; ++c) {
      clients.push_back(zio::spawn(echo_client, listener.local_address(), c, n));
    }
    for (auto& client : clients) client.join();
    const double elapsed = watch.seconds();
    // The accept loop ends by cancellation, and must end before `listener` goes out of scope
    // (unjoined, it raced the listener's destruction and reported the closed acceptor).
    server.cancel();
    try {
      server.join();
    } catch (const zio::Canceled&) {
    }
    return double(peers::echo_clients) * double(n) / elapsed;
  });
  return peers::print_result(per_second, "msg/s");
}

/// n fibers parked on one event: what a parked fiber costs in resident memory.
int idle(const Options& o) {
  zio::Runtime rt({.executors = std::size_t(o.threads)});
  const double per_task = rt.block_on([n = o.n] {
    std::atomic<long> parked{0};
    std::atomic<long> finished{0};
    zio::ResetEvent release;
    zio::ResetEvent all_finished;
    const long before = peers::vm_rss_bytes();
    for (long i = 0; i < n; ++i) {
      zio::spawn([&, n] {
        parked.fetch_add(1, std::memory_order_relaxed);
        release.wait();
        if (finished.fetch_add(1, std::memory_order_relaxed) + 1 == n) all_finished.set();
      }).detach();
    }
    // Each fiber counts itself just before it parks; a few more yields let the last ones on
    // other executors reach the wait.
    while (parked.load(std::memory_order_relaxed) < n) zio::yield();
    for (int i = 0; i < 3; ++i) zio::yield();
    const long after = peers::vm_rss_bytes();
    release.set();
    all_finished.wait();
    return double(after - before) / double(n);
  });
  return peers::print_result(per_task, "B/task");
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = peers::parse_options(argc, argv);
  if (o.benchmark == "ping_pong") return ping_pong(o);
  if (o.benchmark == "spawn") return spawn(o);
  if (o.benchmark == "echo") return echo(o);
  return idle(o);
}
