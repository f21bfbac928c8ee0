#pragma once
#include <zio/detail/channel_core.hpp>
#include <zio/runtime/this_task.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace zio {

namespace detail {
struct ChannelAccess;
}

/// A Go-style channel of T between fibers and threads (a fiber suspends, a thread blocks).
///
/// Bounded with capacity N (N = 0 is Go's rendezvous: each send waits for its receiver), or
/// unbounded. Values from one sender arrive in the order sent; move-only T works. close()
/// wakes everyone: receivers drain what is buffered, then get an empty optional; senders get
/// errc::closed and keep their value. Share a channel by reference (or shared_ptr): it must
/// outlive its users. Thread-safe.
///
/// T's move constructor must be noexcept: values move under the channel's lock, where a
/// throwing move could only end in std::terminate.
template <typename T>
  requires std::is_nothrow_move_constructible_v<T>
class Channel {
 public:
  /// A bounded channel holding up to `capacity` values; 0 makes every send a rendezvous.
  explicit Channel(std::size_t capacity) : buffer_(capacity), core_(capacity, &buffer_, ops) {}

  /// A channel whose sends never wait.
  static std::unique_ptr<Channel> make_unbounded() {
    return std::unique_ptr<Channel>(new Channel(detail::ChannelCore::unbounded));
  }

  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  /// Sends, waiting while the channel is full. On failure the value is not consumed (the
  /// caller's object is unchanged): throws system_error(errc::closed) if the channel is
  /// closed, Canceled if the waiting fiber is cancelled.
  void send(T&& value) {
    if (error_code ec = core_.send(&value)) detail::throw_error(ec, "zio::Channel::send");
  }
  void send(const T& value) {
    T copy(value);
    send(std::move(copy));
  }
  /// As send, reporting through `ec` instead of throwing.
  void send(T&& value, error_code& ec) noexcept { ec = core_.send(&value); }

  /// Sends only if that needs no wait. False (value untouched) when full or closed.
  bool try_send(T&& value) noexcept { return core_.try_send(&value) == detail::TrySend::sent; }

  /// The next value, waiting while the channel is empty; empty once it is closed and drained.
  /// Throws Canceled if the waiting fiber is cancelled (nothing is taken).
  std::optional<T> receive() {
    std::optional<T> out;
    if (error_code ec = core_.receive(&out)) detail::throw_error(ec, "zio::Channel::receive");
    return out;
  }
  std::optional<T> receive(error_code& ec) noexcept {
    std::optional<T> out;
    ec = core_.receive(&out);
    return out;
  }
  /// A value if one is ready now; never waits.
  std::optional<T> try_receive() noexcept {
    std::optional<T> out;
    core_.try_receive(&out);
    return out;
  }

  /// Receives, waiting at most until `deadline`: empty when it passed or when the channel is
  /// closed and drained (is_closed() tells which). Throws Canceled.
  std::optional<T> receive_until(Clock::time_point deadline) {
    std::optional<T> out;
    detail::SelectCase c{&core_, false, &out};
    detail::select_cases(&c, 1, &deadline, false);
    return out;
  }
  template <typename Rep, typename Period>
  std::optional<T> receive_for(std::chrono::duration<Rep, Period> timeout) {
    return receive_until(detail::deadline_after(timeout));
  }

  /// Sends, waiting at most until `deadline`: false when it passed (the value is not
  /// consumed). Throws system_error(errc::closed) if closed, Canceled if interrupted.
  bool send_until(T&& value, Clock::time_point deadline) {
    detail::SelectCase c{&core_, true, &value};
    if (detail::select_cases(&c, 1, &deadline, false) < 0) return false;
    if (c.closed) throw system_error(make_error_code(errc::closed), "zio::Channel::send_until");
    return true;
  }
  template <typename Rep, typename Period>
  bool send_for(T&& value, std::chrono::duration<Rep, Period> timeout) {
    return send_until(std::move(value), detail::deadline_after(timeout));
  }

  /// Closes the channel (idempotent). Never blocks; any thread.
  void close() noexcept { core_.close(); }
  bool is_closed() noexcept { return core_.is_closed(); }
  /// Values buffered now (a snapshot).
  std::size_t size() noexcept { return core_.size(); }

  /// Range-for support: receives until the channel is closed and drained.
  class iterator {
   public:
    explicit iterator(Channel* channel) : channel_(channel) { advance(); }
    iterator() = default;
    T& operator*() { return *value_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    bool operator==(const iterator& other) const { return channel_ == other.channel_; }

   private:
    void advance() {
      value_ = channel_->receive();
      if (!value_) channel_ = nullptr;
    }
    Channel* channel_ = nullptr;
    std::optional<T> value_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  friend struct detail::ChannelAccess;

  // A fixed ring for bounded channels (no allocation after construction, so hand-offs under
  // the core's lock cannot fail); a deque for unbounded ones.
  class Buffer {
   public:
    explicit Buffer(std::size_t capacity)
        : ring_(capacity != detail::ChannelCore::unbounded && capacity > 0
                    ? std::make_unique<std::optional<T>[]>(capacity)
                    : nullptr),
          capacity_(capacity) {}
    void push(T&& value) {
      if (!ring_) {
        unbounded_.push_back(std::move(value));
        return;
      }
      ring_[(head_ + count_) % capacity_].emplace(std::move(value));
      ++count_;
    }
    void pop_into(std::optional<T>& out) noexcept {
      if (!ring_) {
        out.emplace(std::move(unbounded_.front()));
        unbounded_.pop_front();
        return;
      }
      out.emplace(std::move(*ring_[head_]));
      ring_[head_].reset();
      head_ = (head_ + 1) % capacity_;
      --count_;
    }

   private:
    std::unique_ptr<std::optional<T>[]> ring_;
    std::size_t capacity_;
    std::size_t head_ = 0, count_ = 0;
    std::deque<T> unbounded_;
  };

  static constexpr detail::ChannelOps ops = {
      [](void* buffer, void* value) { static_cast<Buffer*>(buffer)->push(std::move(*static_cast<T*>(value))); },
      [](void* buffer, void* out) noexcept {
        static_cast<Buffer*>(buffer)->pop_into(*static_cast<std::optional<T>*>(out));
      },
      [](void* out, void* value) noexcept {
        static_cast<std::optional<T>*>(out)->emplace(std::move(*static_cast<T*>(value)));
      },
  };

  Buffer buffer_;
  detail::ChannelCore core_;
};

namespace detail {
/// Lets select reach a channel's type-erased core.
struct ChannelAccess {
  template <typename T>
  static ChannelCore& core(Channel<T>& channel) noexcept {
    return channel.core_;
  }
};
}  // namespace detail

}  // namespace zio
