// A zio::Mutex protects shared state across fibers on several executor threads. A fiber
// waiting for the lock suspends; its thread runs other fibers meanwhile.
//
//   build/release/examples/mutex_demo
#include <zio/zio.hpp>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

int main() {
  zio::Runtime rt({.executors = 2});
  return rt.block_on([] {
    zio::Mutex mutex;
    std::map<std::string, int> counts;  // guarded by mutex
    {
      zio::TaskGroup workers;
      for (int w = 0; w < 100; ++w) {
        workers.spawn([&, w] {
          for (int i = 0; i < 100; ++i) {
            std::lock_guard lock(mutex);
            ++counts[w % 2 ? "odd" : "even"];
            if (i % 10 == 0) zio::yield();  // let the others at the lock... while holding it
          }
        });
      }
      workers.wait();
    }
    std::printf("even workers: %d increments, odd workers: %d\n", counts["even"], counts["odd"]);
    return counts["even"] == 5000 && counts["odd"] == 5000 ? 0 : 1;
  });
}
