#include <zio/zio.hpp>
using namespace std::chrono_literals;

int main() {
  zio::Runtime rt({.executors = 1});     // one executor, on the thread in block_on
  return rt.block_on([] {
    auto child = zio::spawn([](int x) {  // a fiber: suspends, never blocks the thread
      zio::sleep_for(10ms);
      return x * 2;
    }, 21);
    try {
      zio::with_timeout(5ms, [] { zio::sleep_for(1s); });
    } catch (const zio::TimedOut&) {
      // the deadline cancelled the sleep
    }
    return child.join() == 42 ? 0 : 1;
  });
}
