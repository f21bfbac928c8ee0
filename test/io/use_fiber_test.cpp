#include <zio/io/use_fiber.hpp>

#include "io/io_support.hpp"
#include "support/runtime.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <tuple>

using namespace std::chrono_literals;
using zio::test::ended_canceled;
using zio::test::run_in_runtime;

namespace {
boost::asio::steady_timer make_timer() { return boost::asio::steady_timer(zio::detail::current_io("test")); }
}  // namespace

TEST_CASE("use_fiber: a fiber awaits a steady_timer, throwing and error_code forms", "[io][use_fiber]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [waited_ms, ec_cleared, posted] = run_in_runtime(executors, [] {
    auto timer = make_timer();
    const auto start = zio::Clock::now();
    timer.expires_after(15ms);
    timer.async_wait(zio::use_fiber);
    const double ms = zio::test::ms_since(start);

    zio::error_code ec = make_error_code(zio::errc::closed);  // must be cleared
    timer.expires_after(1ms);
    timer.async_wait(zio::use_fiber[ec]);

    // A no-argument completion signature returns void.
    std::atomic<bool> ran{false};
    boost::asio::post(zio::detail::current_io("test"), [&] { ran = true; });
    boost::asio::post(zio::detail::current_io("test"), zio::use_fiber);
    return std::tuple{ms, !ec, ran.load()};
  });
  CHECK(waited_ms >= 15.0);
  CHECK(ec_cleared);
  CHECK(posted);
}

TEST_CASE("use_fiber: until(deadline) gives TimedOut and leaves the timer usable", "[io][use_fiber]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [threw, ec_value, elapsed_ms, reused] = run_in_runtime(executors, [] {
    auto timer = make_timer();
    timer.expires_after(10s);
    const auto start = zio::Clock::now();
    bool timed_out = false;
    try {
      timer.async_wait(zio::use_fiber.until(zio::Clock::now() + 20ms));
    } catch (const zio::TimedOut&) {
      timed_out = true;
    }
    zio::error_code ec;
    timer.async_wait(zio::use_fiber[ec].until(zio::Clock::now() + 5ms));
    const double ms = zio::test::ms_since(start);
    timer.expires_after(1ms);
    zio::error_code again;
    timer.async_wait(zio::use_fiber[again]);
    return std::tuple{timed_out, ec, ms, !again};
  });
  CHECK(threw);
  CHECK(ec_value == zio::errc::timed_out);
  CHECK(ec_value == boost::system::errc::timed_out);
  CHECK(elapsed_ms >= 25.0);
  CHECK(elapsed_ms < 5000.0);  // not the timer's 10 s
  CHECK(reused);
}

TEST_CASE("use_fiber: cancelling a fiber in async_wait throws Canceled promptly", "[io][use_fiber]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [canceled, elapsed_ms, reused, sticky] = run_in_runtime(executors, [] {
    auto timer = make_timer();
    timer.expires_after(10s);
    std::atomic<bool> started{false};
    const auto start = zio::Clock::now();
    auto waiter = zio::spawn([&] {
      started = true;
      timer.async_wait(zio::use_fiber);
    });
    zio::test::yield_until([&] { return started.load(); });
    waiter.cancel();
    bool was_canceled = ended_canceled(waiter);
    const double ms = zio::test::ms_since(start);

    // The timer is usable again after the aborted wait.
    timer.expires_after(1ms);
    zio::error_code ec;
    timer.async_wait(zio::use_fiber[ec]);

    // A swallowed Canceled comes back at the next blocking call.
    std::atomic<bool> swallower_started{false};
    auto swallower = zio::spawn([&] {
      swallower_started = true;
      auto own = make_timer();
      own.expires_after(10s);
      try {
        own.async_wait(zio::use_fiber);
      } catch (const zio::Canceled&) {
      }
      own.expires_after(10s);
      zio::error_code second;
      own.async_wait(zio::use_fiber[second]);
      return second;
    });
    zio::test::yield_until([&] { return swallower_started.load(); });
    swallower.cancel();
    zio::error_code second = swallower.join();
    return std::tuple{was_canceled, ms, !ec, second == zio::errc::canceled};
  });
  CHECK(canceled);
  CHECK(elapsed_ms < 5000.0);
  CHECK(reused);
  CHECK(sticky);
}

TEST_CASE("use_fiber: with_timeout around an Asio wait", "[io][use_fiber]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [timed_out, elapsed_ms] = run_in_runtime(executors, [] {
    auto timer = make_timer();
    timer.expires_after(10s);
    const auto start = zio::Clock::now();
    bool got = false;
    try {
      zio::with_timeout(20ms, [&] { timer.async_wait(zio::use_fiber); });
    } catch (const zio::TimedOut&) {
      got = true;
    }
    return std::pair{got, zio::test::ms_since(start)};
  });
  CHECK(timed_out);
  CHECK(elapsed_ms >= 20.0);
  CHECK(elapsed_ms < 5000.0);
}

TEST_CASE("use_fiber: value-returning socket operations and their errors", "[io][use_fiber]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [data, eof_ec, eof_thrown, eof_code] = run_in_runtime(executors, [] {
    auto [a, b] = zio::test::socket_pair();
    // The reader waits before anything is written: the read really suspends.
    std::atomic<bool> started{false};
    auto reader = zio::spawn([&, &b = b] {
      started = true;
      char buf[64];
      std::size_t n = b.async_read_some(boost::asio::buffer(buf), zio::use_fiber);
      return std::string(buf, n);
    });
    zio::test::yield_until([&] { return started.load(); });
    std::size_t sent = a.async_write_some(boost::asio::buffer(std::string("hello")), zio::use_fiber);
    std::string got = reader.join().substr(0, sent);

    a.close();  // the peer is gone: reads see eof
    char buf[8];
    zio::error_code ec;
    std::size_t n = b.async_read_some(boost::asio::buffer(buf), zio::use_fiber[ec]);
    // The throwing form reads eof on a second pair: Asio 1.81 may never complete a raw
    // socket's read that follows an eof read (zio's own streams work around it).
    auto [c, d] = zio::test::socket_pair();
    c.close();
    bool thrown = false;
    zio::error_code code;
    try {
      d.async_read_some(boost::asio::buffer(buf), zio::use_fiber);
    } catch (const zio::Canceled&) {
      // wrong: eof is not a cancellation
    } catch (const zio::system_error& e) {
      thrown = true;
      code = e.code();
    }
    return std::tuple{got, n == 0 ? ec : zio::error_code{}, thrown, code};
  });
  CHECK(data == "hello");
  CHECK(eof_ec == boost::asio::error::eof);
  CHECK(eof_thrown);
  CHECK(eof_code == boost::asio::error::eof);
}

TEST_CASE("use_fiber: from a plain thread throws NotInFiber", "[io][use_fiber]") {
  boost::asio::io_context io;
  boost::asio::steady_timer timer(io, 1ms);
  CHECK_THROWS_AS(timer.async_wait(zio::use_fiber), zio::NotInFiber);
  zio::error_code ec;
  bool threw = false;
  std::thread other([&] {
    try {
      timer.async_wait(zio::use_fiber[ec]);
    } catch (const zio::NotInFiber&) {
      threw = true;
    }
  });
  other.join();
  CHECK(threw);  // misuse throws even in the error_code form
}
