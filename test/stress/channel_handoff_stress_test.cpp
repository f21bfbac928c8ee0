// The channel hand-off on its own (issue 17): senders and receivers on two executors and a
// plain thread, over a rendezvous and a one-slot channel, through send/receive, the select
// path (receive_for, send_for) and cancellation, with forced interleavings. Every value
// whose send succeeded is received exactly once; a cancelled send's value is never seen.
#include "stress/interleave_support.hpp"

#include <zio/zio.hpp>

#include <thread>

using namespace std::chrono_literals;

TEST_CASE("stress: the channel hand-off neither loses nor duplicates a value", "[stress][channel]") {
  const std::size_t capacity = GENERATE(0, 1);
  constexpr int senders = 4, per_sender = 150;
  constexpr int values = senders * per_sender;
  for (std::uint64_t seed : zio::test::stress_seeds(100)) {
    zio::test::Forcing forcing(seed);
    std::vector<std::atomic<int>> received(values);
    std::vector<std::atomic<bool>> sent(values);
    zio::Runtime rt({.executors = 2});
    zio::Channel<int> channel(capacity);
    std::atomic<int> receivers_left{3};
    rt.block_on([&] {
      std::vector<zio::JoinHandle<void>> fibers;
      for (int s = 0; s < senders; ++s) {
        fibers.push_back(zio::spawn([&, s] {
          for (int i = s * per_sender; i < (s + 1) * per_sender; ++i) {
            // Half through the select path, with a deadline that sometimes passes.
            const bool ok = (i + static_cast<int>(seed)) % 2 == 0 ? (channel.send(int{i}), true)
                                                                  : channel.send_for(int{i}, 200us);
            sent[static_cast<std::size_t>(i)] = ok;
          }
        }));
      }
      auto receive_loop = [&](bool with_deadline) {
        for (;;) {
          std::optional<int> v = with_deadline ? channel.receive_for(300us) : channel.receive();
          if (v) {
            received[static_cast<std::size_t>(*v)].fetch_add(1);
          } else if (channel.is_closed()) {
            break;
          }
        }
      };
      fibers.push_back(zio::spawn([&] { receive_loop(false); receivers_left.fetch_sub(1); }));
      fibers.push_back(zio::spawn([&] { receive_loop(true); receivers_left.fetch_sub(1); }));
      std::thread plain([&] { receive_loop(true); receivers_left.fetch_sub(1); });
      // A receiver cancelled while waiting: it must take nothing with it.
      auto canceled = zio::spawn([&] {
        for (;;) {
          if (auto v = channel.receive()) {
            received[static_cast<std::size_t>(*v)].fetch_add(1);
          } else {
            return;
          }
        }
      });
      for (int s = 0; s < senders; ++s) fibers[static_cast<std::size_t>(s)].join();
      canceled.cancel();
      try {
        canceled.join();
      } catch (const zio::Canceled&) {
      }
      channel.close();
      for (std::size_t f = senders; f < fibers.size(); ++f) fibers[f].join();
      plain.join();
    });
    int wrong = 0;
    for (int i = 0; i < values; ++i) {
      const int expected = sent[static_cast<std::size_t>(i)].load() ? 1 : 0;
      wrong += received[static_cast<std::size_t>(i)].load() != expected;
    }
    INFO("seed " << seed << " (replay: ZIO_STRESS_SEED=" << seed << "), capacity " << capacity);
    REQUIRE(wrong == 0);
    REQUIRE(receivers_left.load() == 0);
  }
}
