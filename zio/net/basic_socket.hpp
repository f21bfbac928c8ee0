#pragma once
/// What zio's stream and datagram sockets share: the Asio socket (kept non-blocking), its
/// accessors, close(), and errors named after the zio type that failed.
#include <zio/error.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <atomic>

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

  /// Closes the socket; further calls fail with bad_descriptor.
  void close();
  void close(error_code& ec) noexcept;
  bool is_open() const noexcept { return socket_.is_open(); }

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

  /// Tracks the socket's readiness in its executor's Poller (streams register on their
  /// first wait); nullptr until then. Atomic: a stream's reader and writer may both be the
  /// first to wait, on two threads.
  std::atomic<detail::Readiness*> readiness_{nullptr};
  socket_type socket_;

 private:
  void release_readiness() noexcept;
};

extern template class BasicSocket<boost::asio::ip::tcp>;
extern template class BasicSocket<boost::asio::local::stream_protocol>;
extern template class BasicSocket<boost::asio::ip::udp>;
extern template class BasicSocket<boost::asio::local::datagram_protocol>;

}  // namespace zio::net
