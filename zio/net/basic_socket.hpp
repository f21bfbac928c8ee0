#pragma once
/// What zio's stream and datagram sockets share: the Asio socket (kept non-blocking), its
/// accessors, close(), and errors named after the zio type that failed.
#include <zio/error.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <atomic>
#include <cstdint>

namespace zio::detail {
class Readiness;
}  // namespace zio::detail

namespace zio::net {

template <typename Protocol>
class BasicSocket {
 public:
  using protocol_type = Protocol;
  using socket_type = typename Protocol::socket;
  using endpoint_type = typename Protocol::endpoint;
  using executor_type = typename socket_type::executor_type;

  BasicSocket(BasicSocket&& other) noexcept;
  BasicSocket& operator=(BasicSocket&& other) noexcept;

  /// Closes the socket; from now on is_open() is false and further calls fail with
  /// bad_descriptor. Any thread, never blocks. A stream's calls in progress on other fibers
  /// return operation_aborted; the descriptor itself is closed as the last of them returns
  /// (at once when there are none), so its number is never reused under a call still using
  /// it. Destroying the socket waits for that, and for a close() still running on another
  /// thread. (Calls on the Asio object from socket() are not tracked: do not close or
  /// reopen it there.)
  void close();
  void close(error_code& ec) noexcept;
  bool is_open() const noexcept {
    return (uses_.load(std::memory_order_acquire) & closing) == 0 && socket_.is_open();
  }

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  /// The Asio socket, for options zio does not wrap. It is in non-blocking mode; leave it so.
  socket_type& socket() noexcept { return socket_; }
  int native_handle() noexcept { return socket_.native_handle(); }

 protected:
  /// Takes an open socket (or a closed one, after a failed setup) and makes it non-blocking.
  explicit BasicSocket(socket_type socket);
  ~BasicSocket();

  /// Throws `ec` as the failure of `operation`, e.g. "zio::net::TcpStream::read_some: ...".
  [[noreturn]] static void throw_error(const error_code& ec, const char* operation);

  /// Brackets a call that uses the descriptor (a stream's read, write or shutdown), so that a
  /// close() from another thread defers the descriptor's close until the call returned.
  /// False when the socket is closed or closing: the call fails with bad_descriptor.
  class Use {
   public:
    explicit Use(const BasicSocket& socket) noexcept : socket_(socket), entered_(socket.enter_use()) {}
    ~Use() {
      if (entered_) socket_.leave_use();
    }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    explicit operator bool() const noexcept { return entered_; }

   private:
    const BasicSocket& socket_;
    const bool entered_;
  };
  /// Throws bad_descriptor, naming `operation`, when `use` could not begin.
  static void require(const Use& use, const char* operation) {
    if (!use) throw_error(boost::asio::error::bad_descriptor, operation);
  }

  /// Tracks the socket's readiness in its executor's Poller (streams register on their
  /// first wait); nullptr until then, Readiness::closed() once closed before that. Atomic:
  /// a stream's reader and writer may both be the first to wait, and close() may come from
  /// another thread.
  std::atomic<detail::Readiness*> readiness_{nullptr};
  socket_type socket_;

 private:
  // On every read and write: the fast paths are inline, one locked instruction each.
  bool enter_use() const noexcept {
    if ((uses_.fetch_add(use_unit, std::memory_order_acquire) & closing) == 0) return true;
    leave_use();
    return false;
  }
  void leave_use() const noexcept {
    const std::uint32_t now = uses_.fetch_sub(use_unit, std::memory_order_acq_rel) - use_unit;
    if ((now & closing) != 0) close_if_last(now, nullptr);
  }
  /// A use ended after close() began, leaving `now`: with no use left, closes the descriptor
  /// (once, whoever gets here first) and reports the close's error through `ec` if given.
  void close_if_last(std::uint32_t now, error_code* ec) const noexcept;
  void stop_readiness() noexcept;
  void wait_for_close_to_finish() const noexcept;
  void release_readiness() noexcept;

  // Uses in progress (in units of use_unit) and three flags. Go's fdMutex, reduced to what a
  // close needs: once `closing` is set no use begins, and whoever sees no use left with
  // `closing` set (close() itself or the last use) claims the close (`close_claimed`),
  // closes the descriptor exactly once, and then sets `close_done`. close() counts as a use
  // while it runs. Mutable: const calls (local_address) are uses too.
  static constexpr std::uint32_t closing = 1, close_claimed = 2, close_done = 4, use_unit = 8;
  mutable std::atomic<std::uint32_t> uses_{0};
};

extern template class BasicSocket<boost::asio::ip::tcp>;
extern template class BasicSocket<boost::asio::local::stream_protocol>;
extern template class BasicSocket<boost::asio::ip::udp>;
extern template class BasicSocket<boost::asio::local::datagram_protocol>;

}  // namespace zio::net
