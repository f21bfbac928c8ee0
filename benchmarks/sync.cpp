// Sync and channel micro-benchmarks, ns per operation (median of several runs):
//   channel ping-pong: two fibers exchange an int over two capacity-1 channels, 1,000,000
//     rounds, on one executor and pinned to two different executors;
//   mutex contention: 64 fibers each take and release one zio::Mutex 10,000 times;
//   broadcast fan-out: one sender, 100 subscriber fibers, 100,000 messages.
//
//   build/release/benchmarks/sync
#include <zio/zio.hpp>

#include "median.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace {

using zio::bench::median_ns_per_op;


void ping_pong(long rounds, std::size_t executor_a, std::size_t executor_b) {
  zio::Channel<long> ping(1), pong(1);
  auto a = zio::spawn_on(executor_a, [&] {
    for (long i = 0; i < rounds; ++i) {
      ping.send(long{i});
      pong.receive();
    }
  });
  auto b = zio::spawn_on(executor_b, [&] {
    for (long i = 0; i < rounds; ++i) pong.send(*ping.receive());
  });
  a.join();
  b.join();
}

void mutex_contention(int fibers, long per_fiber) {
  zio::Mutex mutex;
  long counter = 0;
  std::vector<zio::JoinHandle<void>> handles;
  for (int f = 0; f < fibers; ++f) {
    handles.push_back(zio::spawn([&] {
      for (long i = 0; i < per_fiber; ++i) {
        std::lock_guard guard(mutex);
        ++counter;
      }
    }));
  }
  for (auto& h : handles) h.join();
}

// One sender broadcasts `messages` to `subscribers` fibers; ns per message delivered to all.
void broadcast_fan_out(int subscribers, long messages) {
  zio::BroadcastChannel<long> channel(1024);
  zio::Barrier ready(static_cast<std::size_t>(subscribers) + 1);
  std::vector<zio::JoinHandle<void>> handles;
  for (int s = 0; s < subscribers; ++s) {
    handles.push_back(zio::spawn([&ready](zio::BroadcastReceiver<long> rx) {
      ready.arrive_and_wait();
      for (;;) {
        try {
          if (!rx.receive()) return;
        } catch (const zio::Lagged&) {
        }
      }
    }, channel.subscribe()));
  }
  ready.arrive_and_wait();
  for (long i = 0; i < messages; ++i) {
    channel.send(long{i});
    if (i % 512 == 511) zio::yield();  // let subscribers keep up (lagging is not what we time)
  }
  channel.close();
  for (auto& h : handles) h.join();
}

}  // namespace

int main() {
  constexpr long rounds = 1'000'000;
  {
    zio::Runtime rt({.executors = 1});
    double ns = rt.block_on([] { return median_ns_per_op(5, rounds, [] { ping_pong(rounds, 0, 0); }); });
    std::printf("channel ping-pong, 1 executor          %8.1f ns/round\n", ns);
    double mutex_ns = rt.block_on([] { return median_ns_per_op(5, 64 * 10'000, [] { mutex_contention(64, 10'000); }); });
    std::printf("mutex contention (64 fibers), 1 exec.  %8.1f ns/lock\n", mutex_ns);
    constexpr long messages = 100'000;
    double fan_ns = rt.block_on([] { return median_ns_per_op(5, messages, [] { broadcast_fan_out(100, messages); }); });
    std::printf("broadcast to 100 subscribers, 1 exec.  %8.1f ns/message (%.1f ns per delivery)\n", fan_ns,
                fan_ns / 100);
  }
  {
    zio::Runtime rt({.executors = 2});
    constexpr long cross_rounds = 200'000;
    double ns = rt.block_on([] { return median_ns_per_op(5, cross_rounds, [] { ping_pong(cross_rounds, 0, 1); }); });
    std::printf("channel ping-pong, across 2 executors  %8.1f ns/round\n", ns);
    double mutex_ns = rt.block_on([] { return median_ns_per_op(5, 64 * 10'000, [] { mutex_contention(64, 10'000); }); });
    std::printf("mutex contention (64 fibers), 2 exec.  %8.1f ns/lock\n", mutex_ns);
  }
  return 0;
}
