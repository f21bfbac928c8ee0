#pragma once
// Helpers shared by the tests.
#include <zio/zio.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace zio::test {

/// Runs fn as the root fiber of a fresh runtime with `executors` executors; returns its result.
template <typename F>
auto run_in_runtime(std::size_t executors, F&& fn) {
  Runtime rt({.executors = executors});
  return rt.block_on(std::forward<F>(fn));
}

/// True when this run is under chaos scheduling (ZIO_CHAOS set: docs/reliability.md).
/// Chaos takes legal choices that break scheduling *policies* (deadline order among timers
/// due together, a woken fiber resuming on its waker's executor); tests of those policies
/// skip just those checks then, and keep every correctness check.
inline bool chaos_scheduling() {
  const char* seed = std::getenv("ZIO_CHAOS");
  return seed && *seed && std::string_view(seed) != "0";
}

/// Milliseconds elapsed since `start`, as a double.
inline double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/// Joins `handle` and tells whether the task ended with Canceled (other outcomes: false).
template <typename T>
bool ended_canceled(JoinHandle<T>& handle) {
  try {
    handle.join();
  } catch (const Canceled&) {
    return true;
  }
  return false;
}

/// Spin-yields until pred() holds (fiber only). For waiting on state another fiber changes
/// when no zio primitive exists for it yet; it never sleeps.
template <typename Pred>
void yield_until(Pred&& pred) {
  while (!pred()) zio::yield();
}

}  // namespace zio::test
