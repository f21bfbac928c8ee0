// A tour of the runtime: fibers, sleeping, joining, a task group and a timeout.
//
//   build/release/examples/hello
#include <zio/zio.hpp>

#include <cstdio>
#include <string>
#include <vector>

using namespace std::chrono_literals;

int main() {
  zio::Runtime rt;
  return rt.block_on([] {
    std::printf("zio %s: hello from fiber %llu\n", zio::version_string,
                static_cast<unsigned long long>(zio::current_task_id()));

    // Fibers look like threads, cost like callbacks: spawn a few and collect their results.
    std::vector<zio::JoinHandle<std::string>> greeters;
    for (int i = 1; i <= 3; ++i) {
      greeters.push_back(zio::spawn([i] {
        zio::sleep_for(std::chrono::milliseconds(10 * (4 - i)));  // the last one wakes first
        return "greeter " + std::to_string(i) + " woke after " + std::to_string(10 * (4 - i)) + " ms";
      }));
    }
    for (auto& g : greeters) std::printf("  %s\n", g.join().c_str());

    // A task group: the first failure cancels the siblings and comes back from wait().
    try {
      zio::TaskGroup group;
      group.spawn([] { zio::sleep_for(1h); });
      group.spawn([] {
        zio::sleep_for(5ms);
        throw std::runtime_error("a child failed, so its sleeping sibling was cancelled");
      });
      group.wait();
    } catch (const std::exception& e) {
      std::printf("  task group: %s\n", e.what());
    }

    // A deadline around blocking work.
    try {
      zio::with_timeout(20ms, [] { zio::sleep_for(1s); });
    } catch (const zio::TimedOut& e) {
      std::printf("  with_timeout: %s\n", e.what());
    }
    std::printf("done\n");
    return 0;
  });
}
