#pragma once
#include <chrono>
#include <cstddef>
#include <limits>

namespace zio::detail {

class TimerHeap;

/// An entry of an executor's timer heap; lives in the waiting fiber's frame. `on_fire` runs on
/// the executor with the heap's lock held, so whoever removes the node under that lock knows
/// the callback is finished or will never run.
struct TimerNode {
  static constexpr std::size_t not_in_heap = std::numeric_limits<std::size_t>::max();

  std::chrono::steady_clock::time_point deadline{};
  void (*on_fire)(TimerNode&) noexcept = nullptr;
  std::size_t heap_index = not_in_heap;  // guarded by the heap's lock
  TimerHeap* heap = nullptr;             // the heap it was added to; set by the owner
};

}  // namespace zio::detail
