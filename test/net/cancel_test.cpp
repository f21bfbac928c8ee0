// Every blocking socket call is cancellable and obeys time limits; the object stays usable.
#include "net/net_support.hpp"

#include <zio/runtime/blocking.hpp>

#include <boost/asio/write.hpp>

using namespace zio;
using namespace std::chrono_literals;
using zio::test::run_in_runtime;
using zio::test::yield_until;

namespace {

// Starts fn in a fiber and returns once that fiber has parked inside fn's blocking call.
// With one executor the caller runs again only after the fiber suspended.
template <typename F>
auto start_blocked(F&& fn) {
  auto started = std::make_shared<std::atomic<bool>>(false);
  auto handle = spawn([started, fn = std::forward<F>(fn)]() mutable {
    started->store(true);
    return fn();
  });
  yield_until([&] { return started->load(); });
  return handle;
}

}  // namespace

TEST_CASE("A blocked accept is cancelled and the listener still accepts", "[net][cancel]") {
  run_in_runtime(1, [] {
    auto listener = net::TcpListener::bind(net::Address::loopback_v4(0));
    auto blocked = start_blocked([&] { listener.accept(); });
    blocked.cancel();
    CHECK(zio::test::ended_canceled(blocked));
    CHECK_THROWS_AS(with_timeout(20ms, [&] { listener.accept(); }), TimedOut);
    auto client = spawn([port = listener.local_address().port()] {
      return net::TcpStream::connect(net::Address::loopback_v4(port));
    });
    auto accepted = listener.accept();
    CHECK(accepted.stream.is_open());
    client.join();
  });
}

TEST_CASE("A connect that cannot complete times out and is cancellable", "[net][cancel]") {
  run_in_runtime(1, [] {
    // A listener that never accepts, with the smallest backlog: once its queue is full the
    // kernel drops further SYNs and connect waits.
    auto listener = net::TcpListener::bind(net::Address::loopback_v4(0), {.backlog = 1});
    const auto address = listener.local_address();
    std::vector<net::TcpStream> queued;
    bool timed_out = false;
    for (int i = 0; i < 16 && !timed_out; ++i) {
      try {
        queued.push_back(with_timeout(200ms, [&] { return net::TcpStream::connect(address); }));
      } catch (const TimedOut&) {
        timed_out = true;
      }
    }
    REQUIRE(timed_out);
    auto blocked = start_blocked([&] { net::TcpStream::connect(address); });
    const auto start = Clock::now();
    blocked.cancel();
    CHECK(zio::test::ended_canceled(blocked));
    CHECK(zio::test::ms_since(start) < 1000);
  });
}

TEST_CASE("A blocked read is cancelled without losing data", "[net][cancel]") {
  const std::size_t executors = GENERATE(1, 4);
  run_in_runtime(executors, [] {
    auto ends = zio::test::tcp_pair();
    auto& a = ends.first;
    auto& b = ends.second;
    char buffer[8];
    auto blocked = spawn([&b, &buffer] { return b.read_some(boost::asio::buffer(buffer)); });
    blocked.cancel();
    CHECK(zio::test::ended_canceled(blocked));
    a.write_all(boost::asio::buffer(std::string_view("after")));
    const std::size_t n = b.read_some(boost::asio::buffer(buffer));
    CHECK(std::string_view(buffer, n) == "after");
  });
}

TEST_CASE("Read limits: timeout and deadline report timed_out and the stream stays usable", "[net][cancel]") {
  run_in_runtime(1, [] {
    auto ends = zio::test::tcp_pair();
    auto& a = ends.first;
    auto& b = ends.second;
    char buffer[8];
    error_code ec;
    b.set_read_timeout(20ms);
    const auto start = Clock::now();
    CHECK(b.read_some(boost::asio::buffer(buffer), ec) == 0);
    CHECK(ec == errc::timed_out);
    CHECK(zio::test::ms_since(start) >= 19);
    CHECK_THROWS_AS(b.read_some(boost::asio::buffer(buffer)), TimedOut);
    b.set_read_timeout(Clock::duration::zero());
    b.set_read_deadline(Clock::now() + 10ms);
    b.read_some(boost::asio::buffer(buffer), ec);
    CHECK(ec == errc::timed_out);
    b.set_read_deadline(Clock::time_point::max());
    a.write_all(boost::asio::buffer(std::string_view("ok")));
    const std::size_t n = b.read_some(boost::asio::buffer(buffer));
    CHECK(std::string_view(buffer, n) == "ok");
    CHECK_THROWS_AS(with_timeout(10ms, [&] { b.read_some(boost::asio::buffer(buffer)); }), TimedOut);
  });
}

TEST_CASE("A write blocked on a full peer is cancelled, or times out", "[net][cancel]") {
  const std::size_t executors = GENERATE(1, 4);
  run_in_runtime(executors, [] {
    auto ends = zio::test::tcp_pair();
    auto& a = ends.first;
    const auto chunk = zio::test::pattern(1 << 20);
    a.set_write_timeout(50ms);
    error_code ec;
    std::size_t written = 0;
    // Nobody reads b: the socket buffers fill and a write must wait.
    while (!ec) written += a.write_some(boost::asio::buffer(chunk), ec);
    CHECK(ec == errc::timed_out);
    a.set_write_timeout(Clock::duration::zero());
    auto blocked = spawn([&] { a.write_all(boost::asio::buffer(chunk)); });
    blocked.cancel();
    CHECK(zio::test::ended_canceled(blocked));
    CHECK(written > 0);
  });
}

TEST_CASE("Resolve waiting for the blocking pool is cancelled and times out", "[net][cancel][dns]") {
  Runtime rt({.executors = 1, .blocking_threads = 1});
  rt.block_on([] {
    // Occupy the only pool thread so the lookup waits in the queue.
    ResetEvent release;
    auto hog = spawn_blocking([&release] { release.wait(); });
    auto blocked = start_blocked([] { return net::resolve("localhost", "80"); });
    blocked.cancel();
    CHECK(zio::test::ended_canceled(blocked));
    CHECK_THROWS_AS(with_timeout(10ms, [] { return net::resolve("localhost", "80"); }), TimedOut);
    error_code ec;
    auto blocked_ec = start_blocked([&ec] { return net::resolve("localhost", "80", ec); });
    blocked_ec.cancel();
    CHECK(blocked_ec.join().empty());
    CHECK(ec == errc::canceled);
    release.set();
    hog.join();
    CHECK_FALSE(net::resolve("localhost", "80").empty());
  });
}

TEST_CASE("Socket calls from a plain thread throw NotInFiber", "[net][misuse]") {
  CHECK_THROWS_AS(net::TcpStream::connect(net::Address::loopback_v4(1)), NotInFiber);
  CHECK_THROWS_AS(net::TcpListener::bind(net::Address::loopback_v4(0)), NotInFiber);
  CHECK_THROWS_AS(net::UdpSocket::bind(net::Address::loopback_v4(0)), NotInFiber);
  CHECK_THROWS_AS(net::resolve("localhost", "80"), NotInFiber);
  CHECK_THROWS_AS(net::UnixStream::pair(), NotInFiber);
}
