// Compile-time checks that zio's types model the standard concepts they claim.
#include <zio/zio.hpp>

#include <catch2/catch.hpp>

#include <concepts>
#include <mutex>
#include <shared_mutex>
#include <type_traits>

namespace {
template <typename M>
concept BasicLockable = requires(M m) {
  m.lock();
  m.unlock();
};
template <typename M>
concept Lockable = BasicLockable<M> && requires(M m) {
  { m.try_lock() } -> std::same_as<bool>;
};
template <typename M>
concept SharedLockable = requires(M m) {
  m.lock_shared();
  m.unlock_shared();
  { m.try_lock_shared() } -> std::same_as<bool>;
};

static_assert(Lockable<zio::Mutex>);
static_assert(Lockable<zio::RwLock> && SharedLockable<zio::RwLock>);
static_assert(std::is_constructible_v<std::unique_lock<zio::Mutex>, zio::Mutex&>);
static_assert(std::is_constructible_v<std::shared_lock<zio::RwLock>, zio::RwLock&>);
static_assert(!std::is_copy_constructible_v<zio::JoinHandle<int>> && std::is_move_constructible_v<zio::JoinHandle<int>>);
static_assert(!std::is_copy_constructible_v<zio::Channel<int>>);
static_assert(std::is_base_of_v<zio::system_error, zio::Canceled>);
}  // namespace

TEST_CASE("concepts: zio types model the standard locking concepts", "[compile]") {
  // The static_asserts above are the test; this case keeps the file in the suite's count.
  zio::Mutex m;
  std::scoped_lock both(m);
  SUCCEED("compiled");
}

// Issue 17: a channel moves values under its lock, where a throwing move could only end in
// std::terminate; such element types are rejected when the channel type is named.
namespace {
struct ThrowingMove {
  ThrowingMove() = default;
  ThrowingMove(ThrowingMove&&) noexcept(false) {}
};
template <typename T>
concept ChannelElement = requires { typename zio::Channel<T>; };
}  // namespace
static_assert(ChannelElement<int> && ChannelElement<std::string> && ChannelElement<std::unique_ptr<int>>);
static_assert(!ChannelElement<ThrowingMove>);
