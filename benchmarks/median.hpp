#pragma once
// The timing helper of the micro-benchmarks: the median over several runs, as ns per op.
#include <algorithm>
#include <chrono>
#include <vector>

namespace zio::bench {

template <typename F>
double median_ns_per_op(int runs, long ops, F&& run_once) {
  std::vector<double> samples;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    run_once();
    samples.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
                      double(ops));
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace zio::bench
