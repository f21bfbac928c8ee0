// The code samples of docs/io.md, run as tests (see runtime_samples.cpp for how the regions
// reach the guide).
#include <catch2/catch.hpp>
#include <zio/zio.hpp>

#include <boost/asio/steady_timer.hpp>

#include <array>
#include <csignal>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

// [sample: echo_server]
void serve_echo(zio::net::TcpListener& listener) {
  for (;;) {
    auto [stream, peer] = listener.accept();
    zio::spawn([s = std::move(stream)]() mutable {
      char buf[4096];
      zio::error_code ec;
      for (std::size_t n; (n = s.read_some(boost::asio::buffer(buf), ec)), !ec;) {
        s.write_all(boost::asio::buffer(buf, n));
      }
    }).detach();
  }
}
// [end sample]

int legacy_blocking_call() {
  std::this_thread::yield();  // stands for a call that blocks its thread
  return 5;
}

}  // namespace

TEST_CASE("docs/io: the echo server") {
  zio::Runtime rt({.executors = 2});
  std::string echoed = rt.block_on([] {
    // [sample: listen]
    auto listener = zio::net::TcpListener::bind(zio::net::Address::parse("127.0.0.1:0"));   // 0: any free port
    auto server = zio::spawn([&] { serve_echo(listener); });
    // [end sample]
    auto client = zio::net::TcpStream::connect(listener.local_address());
    client.write_all(boost::asio::buffer(std::string_view("ping")));
    std::array<char, 4> reply{};
    client.read_exact(boost::asio::buffer(reply));
    server.cancel();
    CHECK_THROWS_AS(server.join(), zio::Canceled);
    return std::string(reply.data(), reply.size());
  });
  CHECK(echoed == "ping");
}

TEST_CASE("docs/io: the blocking pool") {
  zio::Runtime rt({.executors = 1});
  auto [first, second] = rt.block_on([] {
    // [sample: blocking]
    auto handle = zio::spawn_blocking([] { return legacy_blocking_call(); });  // JoinHandle<int>
    auto value = zio::run_blocking([] { return legacy_blocking_call(); });      // spawn + join
    // [end sample]
    return std::pair{handle.join(), value};
  });
  CHECK(first == 5);
  CHECK(second == 5);
}

TEST_CASE("docs/io: signals") {
  zio::Runtime rt({.executors = 1});
  int got = rt.block_on([] {
    // [sample: signals]
    zio::SignalSet signals{SIGINT, SIGTERM};
    std::raise(SIGTERM);                  // counted until someone waits
    int signo = signals.wait();           // or wait_for(5s), try_wait(), zio::ctrl_c()
    // [end sample]
    return signo;
  });
  CHECK(got == SIGTERM);
}

TEST_CASE("docs/io: use_fiber awaits any Asio operation") {
  zio::Runtime rt({.executors = 1});
  bool timed_out = false;
  rt.block_on([&] {
    auto listener = zio::net::TcpListener::bind(zio::net::Address::parse("127.0.0.1:0"));
    auto client = zio::net::TcpStream::connect(listener.local_address());
    auto [accepted, peer] = listener.accept();
    accepted.write_all(boost::asio::buffer(std::string_view("asio")));
    auto& socket = client.socket();
    std::array<char, 16> data{};
    auto buf = boost::asio::buffer(data);
    zio::error_code ec;
    auto deadline = std::chrono::steady_clock::now() + 20ms;

    // [sample: use_fiber]
    boost::asio::steady_timer timer(zio::current_io_context(), 5ms);
    timer.async_wait(zio::use_fiber);                                 // throws on error
    std::size_t n = socket.async_read_some(buf, zio::use_fiber[ec]);  // reports into ec
    timer.expires_at(std::chrono::steady_clock::time_point::max());
    try {
      timer.async_wait(zio::use_fiber.until(deadline));               // its own deadline
    } catch (const zio::TimedOut&) {
      timed_out = true;
    }
    // [end sample]
    CHECK(!ec);
    CHECK(std::string(data.data(), n) == "asio");
  });
  CHECK(timed_out);
}
