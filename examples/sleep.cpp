// Sleeping fibers: a thousand of them sleep at once on one thread, and the whole program
// takes as long as the longest sleep, not the sum.
//
//   build/release/examples/sleep
#include <zio/zio.hpp>

#include <cstdio>
#include <vector>

using namespace std::chrono_literals;

int main() {
  zio::Runtime rt({.executors = 1});
  return rt.block_on([] {
    const auto start = zio::Clock::now();
    std::vector<zio::JoinHandle<void>> sleepers;
    for (int i = 0; i < 1000; ++i) sleepers.push_back(zio::spawn([] { zio::sleep_for(50ms); }));
    for (auto& s : sleepers) s.join();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(zio::Clock::now() - start);
    std::printf("1000 fibers slept 50 ms each; all done after %lld ms\n", static_cast<long long>(took.count()));
    return took < 1s ? 0 : 1;
  });
}
