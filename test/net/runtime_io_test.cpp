// The runtime and I/O together: shutdown with fibers blocked on I/O, and the cooperative
// budget spent by I/O calls that never block.
#include "net/net_support.hpp"

#include <zio/runtime/blocking.hpp>

using namespace zio;
using namespace std::chrono_literals;

TEST_CASE("Shutdown cancels fibers blocked on I/O, joins and sleeps, and ends cleanly", "[net][shutdown]") {
  const std::size_t executors = GENERATE(1, 4);
  std::atomic<int> unwound{0};
  std::atomic<int> started{0};
  constexpr int per_kind = 200;
  {
    Runtime rt({.executors = executors});
    rt.block_on([&] {
      // Every I/O object lives in a fiber, so each is gone before its io_context.
      auto listener = std::make_shared<net::TcpListener>(net::TcpListener::bind(net::Address::loopback_v4(0)));
      const auto address = listener->local_address();
      struct Count {
        std::atomic<int>& n;
        ~Count() { n.fetch_add(1); }
      };
      // Readers blocked on idle connections (their peers stay open in the accepting fibers).
      for (int i = 0; i < per_kind; ++i) {
        spawn([&, address] {
          Count count{unwound};
          auto stream = net::TcpStream::connect(address);
          started.fetch_add(1);
          char byte;
          stream.read_some(boost::asio::buffer(&byte, 1));
        }).detach();
        spawn([&, listener] {
          Count count{unwound};
          auto accepted = listener->accept();
          started.fetch_add(1);
          char byte;
          accepted.stream.read_some(boost::asio::buffer(&byte, 1));
        }).detach();
      }
      // A writer blocked on a full socket, sleepers, joiners, a fiber waiting for the pool.
      auto ends = net::UnixStream::pair();
    auto& a = ends.first;
    auto& b = ends.second;
      spawn([&, a = std::move(a)]() mutable {
        Count count{unwound};
        const auto chunk = zio::test::pattern(1 << 20);
        started.fetch_add(1);
        for (;;) a.write_all(boost::asio::buffer(chunk));
      }).detach();
      for (int i = 0; i < per_kind; ++i) {
        auto sleeper = spawn([&] {
          Count count{unwound};
          started.fetch_add(1);
          sleep_for(1h);
        });
        spawn([&, sleeper = std::move(sleeper)]() mutable {
          Count count{unwound};
          started.fetch_add(1);
          sleeper.join();
        }).detach();
      }
      spawn([&] {
        Count count{unwound};
        started.fetch_add(1);
        run_blocking([] { std::this_thread::sleep_for(10ms); });
        sleep_for(1h);
      }).detach();
      // Keep b open past block_on, unread: the writer stays blocked.
      spawn([&, b = std::move(b)] {
        Count count{unwound};
        started.fetch_add(1);
        sleep_for(1h);
      }).detach();
      zio::test::yield_until([&] { return started.load() == 4 * per_kind + 3; });
    });
  }
  CHECK(unwound.load() == 4 * per_kind + 3);
}

TEST_CASE("I/O calls that never block still let the executor's other fibers run", "[net][budget]") {
  zio::test::run_in_runtime(1, [] {
    auto ends = net::UnixStream::pair();
    auto& a = ends.first;
    auto& b = ends.second;
    // 64 KiB already waiting: every 1-byte read completes without blocking.
    const auto data = zio::test::pattern(64 * 1024);
    a.write_all(boost::asio::buffer(data));
    std::atomic<int> ticks{0};
    auto ticker = spawn([&] {
      for (;;) {
        ticks.fetch_add(1);
        yield();
      }
    });
    int ticks_seen_by_reader = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
      char byte;
      b.read_some(boost::asio::buffer(&byte, 1));
      REQUIRE(byte == data[i]);
    }
    ticks_seen_by_reader = ticks.load();
    ticker.cancel();
    // 64 Ki calls with a budget of 128 each turn: the ticker ran about 512 times.
    CHECK(ticks_seen_by_reader >= 400);
    zio::test::ended_canceled(ticker);
  });
}
