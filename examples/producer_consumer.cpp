// Producers and consumers over a bounded channel: a full channel makes producers wait (back
// pressure), close() ends the consumers' loops once everything is drained.
//
//   build/release/examples/producer_consumer
#include <zio/zio.hpp>

#include <atomic>
#include <cstdio>
#include <vector>

int main() {
  zio::Runtime rt;
  return rt.block_on([] {
    zio::Channel<int> jobs(8);  // at most 8 items waiting
    std::atomic<long> sum{0};
    std::atomic<int> count{0};

    std::vector<zio::JoinHandle<void>> consumers;
    for (int c = 0; c < 3; ++c) {
      consumers.push_back(zio::spawn([&] {
        for (int job : jobs) {  // ends when the channel is closed and empty
          sum += job;
          ++count;
        }
      }));
    }
    {
      zio::TaskGroup producers;
      for (int p = 0; p < 4; ++p) {
        producers.spawn([&jobs, p] {
          for (int i = 1; i <= 250; ++i) jobs.send(p * 1000 + i);
        });
      }
      producers.wait();
    }
    jobs.close();
    for (auto& c : consumers) c.join();

    long expected = 0;
    for (int p = 0; p < 4; ++p)
      for (int i = 1; i <= 250; ++i) expected += p * 1000 + i;
    std::printf("consumed %d jobs, sum %ld (expected %ld)\n", count.load(), sum.load(), expected);
    return count == 1000 && sum == expected ? 0 : 1;
  });
}
