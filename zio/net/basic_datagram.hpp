#pragma once
/// The datagram socket behind zio::net::UdpSocket and UnixDatagram.
#include <zio/error.hpp>
#include <zio/net/io_deadline.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>

#include <cstddef>

namespace zio::net {

/// A datagram socket whose calls block only the calling fiber. Each send is one datagram;
/// each receive takes one. A datagram longer than the receive buffer is truncated to it and
/// reported: boost::asio::error::message_size (the buffer holds its start). Calls are
/// cancellable and obey the read/write limits, as BasicStream's. Fiber only.
template <typename Protocol>
class BasicDatagram : public IoLimits {
 public:
  using protocol_type = Protocol;
  using socket_type = typename Protocol::socket;
  using endpoint_type = typename Protocol::endpoint;
  using executor_type = typename socket_type::executor_type;

  BasicDatagram(BasicDatagram&&) noexcept = default;
  BasicDatagram& operator=(BasicDatagram&&) noexcept = default;

  /// After connect(): sends to / receives from the connected peer only.
  std::size_t send(boost::asio::const_buffer datagram);
  std::size_t send(boost::asio::const_buffer datagram, error_code& ec);
  std::size_t receive(boost::asio::mutable_buffer buffer);
  std::size_t receive(boost::asio::mutable_buffer buffer, error_code& ec);

  void close();
  void close(error_code& ec) noexcept;
  bool is_open() const noexcept { return socket_.is_open(); }

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  socket_type& socket() noexcept { return socket_; }
  int native_handle() noexcept { return socket_.native_handle(); }

 protected:
  explicit BasicDatagram(socket_type socket);
  ~BasicDatagram() = default;

  /// A closed socket on the calling fiber's executor.
  static socket_type make_socket(const char* caller);
  std::size_t send_to_endpoint(boost::asio::const_buffer datagram, const endpoint_type& to, error_code& ec);
  std::size_t receive_from_endpoint(boost::asio::mutable_buffer buffer, endpoint_type& from, error_code& ec);
  [[noreturn]] static void throw_error(const error_code& ec, const char* operation);

  socket_type socket_;
};

extern template class BasicDatagram<boost::asio::ip::udp>;
extern template class BasicDatagram<boost::asio::local::datagram_protocol>;

}  // namespace zio::net
