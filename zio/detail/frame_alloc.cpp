// Task frames are allocated on one thread and freed on another whenever a fiber migrates or is
// stolen: the spawner allocates, the executor that ran the fiber frees. glibc then frees into
// the spawner's arena under that arena's lock, against the spawner's own mallocs; with two
// executors a quarter of a spawn benchmark's time went to that lock (perf:
// __lll_lock_wait_private under _int_free). Frames also die young and come in a few sizes.
//
// So frames are recycled the way Bonwick's magazine allocator (and the Go runtime's mcache /
// mcentral) recycles objects:
//  - each thread keeps, per size class, a magazine: a free list of up to `magazine_size` frames,
//    touched without synchronisation;
//  - a full magazine goes whole to a shared depot, and an empty thread takes a whole magazine
//    from it, one lock per `magazine_size` frames; this is how frames freed on one executor
//    return to the one that spawns;
//  - the depot keeps at most `depot_magazines` per class and frees the rest, so what an idle
//    process holds is bounded (for a 300-byte frame class: 8 x 256 frames, 600 KiB).
// Frames larger than the largest class go straight to operator new / delete.
//
// Under AddressSanitizer the recycling is off: every frame is a plain allocation, so ASan still
// sees a use of a freed frame.
#include <zio/detail/frame_alloc.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace zio::detail {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool recycle = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool recycle = false;
#else
constexpr bool recycle = true;
#endif
#else
constexpr bool recycle = true;
#endif

// Size classes of 8, 24, 40, ... bytes: exactly what a glibc chunk of 16, 32, 48, ... bytes
// holds (chunks are 16-byte multiples with an 8-byte header). With classes of 16, 32, ...
// a 136-byte frame took a 160-byte chunk instead of 144: 11% more memory per queued task.
constexpr std::size_t class_count = 64;      // up to 1,016 bytes; larger frames are not recycled
constexpr std::size_t magazine_size = 256;   // frames per magazine
constexpr std::size_t depot_magazines = 8;   // full magazines kept per class

struct FreeFrame {
  FreeFrame* next;
};

/// A free list of frames of one class.
struct Magazine {
  FreeFrame* head = nullptr;
  std::size_t count = 0;

  void push(void* frame) noexcept {
    auto* f = static_cast<FreeFrame*>(frame);
    f->next = head;
    head = f;
    ++count;
  }
  void* pop() noexcept {
    FreeFrame* f = head;
    head = f->next;
    --count;
    return f;
  }
  void free_all() noexcept {
    while (count != 0) ::operator delete(pop());
  }
};

/// Full magazines shared by all threads.
class Depot {
 public:
  /// A full magazine of class `c`, or an empty one when the depot has none.
  Magazine take(std::size_t c) noexcept {
    // Checked without the lock first: a thread that only allocates (a spawner whose frames
    // nobody frees yet) would otherwise take the lock on every allocation.
    if (stocked_[c].load(std::memory_order_relaxed) == 0) return {};
    std::lock_guard lock(mutex_);
    auto& shelf = shelves_[c];
    if (shelf.empty()) return {};
    Magazine m = shelf.back();
    shelf.pop_back();
    stocked_[c].store(shelf.size(), std::memory_order_relaxed);
    return m;
  }
  /// Stores a full magazine of class `c`, or frees its frames when the shelf is full.
  void give(std::size_t c, Magazine m) noexcept {
    {
      std::lock_guard lock(mutex_);
      auto& shelf = shelves_[c];
      if (shelf.size() < depot_magazines) {
        shelf.push_back(m);  // capacity reserved up front: cannot throw
        stocked_[c].store(shelf.size(), std::memory_order_relaxed);
        return;
      }
    }
    m.free_all();
  }

  Depot() {
    for (auto& shelf : shelves_) shelf.reserve(depot_magazines);
  }
  ~Depot() {
    for (auto& shelf : shelves_) {
      for (Magazine& m : shelf) m.free_all();
    }
  }

 private:
  std::mutex mutex_;
  std::array<std::vector<Magazine>, class_count> shelves_;  // guarded by mutex_
  std::array<std::atomic<std::size_t>, class_count> stocked_{};  // shelf sizes, for a peek
};

Depot& depot() noexcept {
  // Never destroyed: threads that exit after static destruction began still hand their
  // magazines in. What it holds at exit is reclaimed with the process.
  static Depot* instance = new Depot;
  return *instance;
}

/// This thread's magazines. A thread that ends hands them to the depot.
struct ThreadCache {
  std::array<Magazine, class_count> magazines;
  // Set by the destructor. Frames can still come and go on this thread afterwards: a static
  // Runtime shut down at exit runs after the main thread's thread_locals were destroyed, as
  // does another thread_local's destructor. They then bypass the cache (issue 17: the
  // magazines, handed to the depot but still listed here, gave the same frame out twice).
  bool destroyed = false;
  ~ThreadCache() {
    for (std::size_t c = 0; c < class_count; ++c) {
      if (magazines[c].count != 0) depot().give(c, std::exchange(magazines[c], Magazine{}));
    }
    destroyed = true;
  }
};

// Read once per call and never across a suspension (these functions never block), so a fiber
// that migrates cannot use another thread's cache (DESIGN.md, TLS caching across migration).
// The two functions using it are noinline: inlined into a fiber's code (link-time
// optimisation can), the compiler could keep one thread's address across a switch.
thread_local ThreadCache tls_cache;

constexpr std::size_t class_of(std::size_t size) noexcept { return (size + 7) / 16; }
constexpr std::size_t class_size(std::size_t c) noexcept { return 16 * c + 8; }
static_assert(class_of(class_size(5)) == 5 && class_of(class_size(5) + 1) == 6 && class_of(1) == 0);

}  // namespace

__attribute__((noinline)) void* allocate_task_frame(std::size_t size) {
  const std::size_t c = class_of(size);
  if (!recycle || c >= class_count) return ::operator new(size);
  // The class's full size, as below: another thread's cache may recycle this frame.
  if (tls_cache.destroyed) return ::operator new(class_size(c));
  Magazine& m = tls_cache.magazines[c];
  if (m.count == 0) m = depot().take(c);
  if (m.count != 0) return m.pop();
  return ::operator new(class_size(c));  // the class's full size: any frame of it fits
}

__attribute__((noinline)) void free_task_frame(void* frame, std::size_t size) noexcept {
  const std::size_t c = class_of(size);
  if (!recycle || c >= class_count || tls_cache.destroyed) {
    ::operator delete(frame);
    return;
  }
  Magazine& m = tls_cache.magazines[c];
  if (m.count == magazine_size) {
    depot().give(c, m);
    m = Magazine{};
  }
  m.push(frame);
}

bool task_frames_recycled() noexcept { return recycle; }

}  // namespace zio::detail
