// Stack mappings.
//
// Normally each stack is one mmap(MAP_NORESERVE) region whose lowest page is made PROT_NONE,
// so an overflow faults instead of scribbling over a neighbour. A guarded stack costs two VMAs,
// and the kernel refuses new mappings past vm.max_map_count (65530 by default): only about
// 32k guarded stacks fit, and at the limit even malloc and thread creation start failing.
//
// So guarded stacks have a budget: half of max_map_count, less headroom for everything else
// in the process. Past it, stacks come unguarded from slabs (one mapping holds 64 stacks, one
// VMA). Slab stacks are never unmapped one by one, since unmapping the middle of a VMA splits
// it; a released slab stack goes to a process-wide free list after its pages are given back
// with MADV_DONTNEED. More live fibers matter more than guard pages; we log once when it starts.
#include <zio/coro/stack.hpp>

#include <zio/detail/log.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <mutex>
#include <new>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define ZIO_HAVE_VALGRIND 1
#endif

namespace zio::detail {
namespace {

constexpr std::size_t stacks_per_slab = 64;
constexpr std::size_t map_headroom = 4096;  // VMAs left for libraries, malloc, threads

// Sanitizer runtimes map shadow memory and per-fiber fake stacks too: give them most of it.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::size_t budget_divisor = 8;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr std::size_t budget_divisor = 8;
#else
constexpr std::size_t budget_divisor = 2;
#endif
#else
constexpr std::size_t budget_divisor = 2;
#endif

std::atomic<std::size_t> guarded_live{0};

std::size_t guarded_budget() {
  static const std::size_t budget = [] {
    std::size_t max_map_count = 65530;
    std::ifstream("/proc/sys/vm/max_map_count") >> max_map_count;
    return max_map_count > 2 * map_headroom ? (max_map_count - map_headroom) / budget_divisor
                                            : max_map_count / (2 * budget_divisor);
  }();
  return budget;
}

void warn_unguarded_once(const char* why) {
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true)) {
    logger().warn("new fiber stacks have no guard page from now on: {}", why);
  }
}

void register_with_valgrind([[maybe_unused]] Stack& s) {
#ifdef ZIO_HAVE_VALGRIND
  s.valgrind_id = VALGRIND_STACK_REGISTER(s.usable_bottom(), s.top());
#endif
}

// Unguarded stacks of every pool's size, carved from shared slabs.
class SlabStacks {
 public:
  Stack acquire(std::size_t mapping_size) {
    std::lock_guard lock(lock_);
    for (std::size_t i = free_.size(); i-- > 0;) {
      if (free_[i].size == mapping_size) {
        Stack s = free_[i];
        free_[i] = free_.back();
        free_.pop_back();
        return s;
      }
    }
    void* p = ::mmap(nullptr, mapping_size * stacks_per_slab, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    total_ += stacks_per_slab;
    free_.reserve(total_);  // every slab stack fits, so release() never allocates
    for (std::size_t i = 1; i < stacks_per_slab; ++i) {
      free_.push_back(make(static_cast<char*>(p) + i * mapping_size, mapping_size));
    }
    return make(static_cast<char*>(p), mapping_size);
  }

  void release(Stack s) noexcept {
    ::madvise(s.base, s.size, MADV_DONTNEED);  // give the memory back, keep the VMA whole
    std::lock_guard lock(lock_);
    free_.push_back(s);  // capacity reserved when the slab was made
  }

 private:
  static Stack make(char* base, std::size_t size) {
    Stack s;
    s.base = base;
    s.size = size;
    s.from_slab = true;
    register_with_valgrind(s);
    return s;
  }

  std::mutex lock_;
  std::vector<Stack> free_;  // guarded by lock_
  std::size_t total_ = 0;    // slab stacks ever made; guarded by lock_
};

SlabStacks& slab_stacks() {
  static SlabStacks* slabs = new SlabStacks;  // leaked on purpose: stacks may outlive statics
  return *slabs;
}

}  // namespace

std::size_t StackPool::page_size() noexcept {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

char* Stack::usable_bottom() const noexcept {
  return guarded ? base + StackPool::page_size() : base;
}

bool Stack::guard_contains(const void* address) const noexcept {
  auto* p = static_cast<const char*>(address);
  return guarded && p >= base && p < base + StackPool::page_size();
}

StackPool::StackPool(std::size_t stack_size, std::size_t max_cached)
    : mapping_size_((stack_size + page_size() - 1) / page_size() * page_size() + page_size()),
      max_cached_(max_cached) {
  free_.reserve(max_cached_ < 1024 ? max_cached_ : 1024);
}

StackPool::~StackPool() {
  for (Stack& s : free_) unmap_stack(s);
}

Stack StackPool::acquire() {
  if (!free_.empty()) {
    Stack s = free_.back();
    free_.pop_back();
    return s;
  }
  return map_stack(mapping_size_);
}

void StackPool::release(Stack stack) noexcept {
  if (free_.size() < max_cached_) {
    try {
      free_.push_back(stack);
      return;
    } catch (...) {
      // No memory to grow the cache: give the stack back instead.
    }
  }
  unmap_stack(stack);
}

Stack StackPool::map_stack(std::size_t mapping_size) {
  if (guarded_live.load(std::memory_order_relaxed) >= guarded_budget()) {
    warn_unguarded_once("guarded stacks would exhaust vm.max_map_count");
    return slab_stacks().acquire(mapping_size);
  }
  void* p = ::mmap(nullptr, mapping_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) {
    if (errno == ENOMEM) return slab_stacks().acquire(mapping_size);
    throw std::bad_alloc();
  }
  Stack s;
  s.base = static_cast<char*>(p);
  s.size = mapping_size;
  if (::mprotect(p, page_size(), PROT_NONE) == 0) {
    s.guarded = true;
    guarded_live.fetch_add(1, std::memory_order_relaxed);
  } else {
    warn_unguarded_once("mprotect of the guard page failed");
  }
  register_with_valgrind(s);
  return s;
}

void StackPool::unmap_stack(Stack& stack) noexcept {
#ifdef ZIO_HAVE_VALGRIND
  VALGRIND_STACK_DEREGISTER(stack.valgrind_id);
#endif
  if (stack.from_slab) {
    register_with_valgrind(stack);  // it stays a stack while on the slab free list
    slab_stacks().release(stack);
  } else {
    if (stack.guarded) guarded_live.fetch_sub(1, std::memory_order_relaxed);
    ::munmap(stack.base, stack.size);
  }
  stack = Stack{};
}

}  // namespace zio::detail
