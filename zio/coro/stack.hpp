#pragma once
/// Fiber stacks: mmap'd with a guard page below, created once and reused.
#include <cstddef>
#include <vector>

namespace zio::detail {

/// One fiber stack. Stacks grow down: `top()` is where a fiber starts.
struct Stack {
  char* base = nullptr;      ///< lowest address of the mapping (the guard page, if guarded)
  std::size_t size = 0;      ///< whole mapping, guard included
  bool guarded = false;      ///< the lowest page is PROT_NONE
  bool from_slab = false;    ///< carved from a shared unguarded slab; never unmapped alone
  unsigned valgrind_id = 0;  ///< VALGRIND_STACK_REGISTER's id

  explicit operator bool() const noexcept { return base != nullptr; }
  char* top() const noexcept { return base + size; }
  char* usable_bottom() const noexcept;
  std::size_t usable_size() const noexcept { return static_cast<std::size_t>(top() - usable_bottom()); }
  bool guard_contains(const void* address) const noexcept;
};

/// Hands out stacks of one size, LIFO so a reused stack is still warm in cache.
///
/// Thread-confined: each executor owns one (a stack taken from one executor's pool may be
/// returned to another's). `release` makes no system call unless the cache is full.
/// Memory is reserved with MAP_NORESERVE, so only pages a fiber touched cost RSS.
class StackPool {
 public:
  /// `stack_size` is the usable size, rounded up to whole pages; one guard page is added.
  StackPool(std::size_t stack_size, std::size_t max_cached);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  /// A stack from the cache, or a new mapping. Throws std::bad_alloc when mmap fails.
  Stack acquire();
  /// Returns a stack to the cache (or unmaps it when the cache is full).
  void release(Stack stack) noexcept;

  std::size_t cached() const noexcept { return free_.size(); }

  static std::size_t page_size() noexcept;

 private:
  static Stack map_stack(std::size_t mapping_size);
  static void unmap_stack(Stack& stack) noexcept;

  std::size_t mapping_size_;
  std::size_t max_cached_;
  std::vector<Stack> free_;
};

}  // namespace zio::detail
