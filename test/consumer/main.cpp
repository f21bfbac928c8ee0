// The tiny program every consumer test builds: fibers and a channel, through zio's public API.
#include <zio/zio.hpp>

#include <cstdio>

int main() {
  zio::Runtime rt({.executors = 2});
  long sum = rt.block_on([] {
    zio::Channel<int> numbers(8);
    auto producer = zio::spawn([&] {
      for (int i = 0; i < 100; ++i) numbers.send(int{i});
      numbers.close();
    });
    long total = 0;
    for (int n : numbers) total += n;
    producer.join();
    return total;
  });
  std::printf("zio %s consumer: sum %ld\n", zio::version_string, sum);
  return sum == 4950 ? 0 : 1;
}
