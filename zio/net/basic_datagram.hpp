#pragma once
/// The datagram socket behind zio::net::UdpSocket and UnixDatagram.
#include <zio/error.hpp>
#include <zio/net/basic_socket.hpp>
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
class BasicDatagram : public IoLimits, public BasicSocket<Protocol> {
 public:
  using typename BasicSocket<Protocol>::protocol_type;
  using typename BasicSocket<Protocol>::socket_type;
  using typename BasicSocket<Protocol>::endpoint_type;
  using typename BasicSocket<Protocol>::executor_type;

  BasicDatagram(BasicDatagram&&) noexcept = default;
  BasicDatagram& operator=(BasicDatagram&&) noexcept = default;

  /// After connect(): sends to / receives from the connected peer only.
  std::size_t send(boost::asio::const_buffer datagram);
  std::size_t send(boost::asio::const_buffer datagram, error_code& ec);
  std::size_t receive(boost::asio::mutable_buffer buffer);
  std::size_t receive(boost::asio::mutable_buffer buffer, error_code& ec);

  // close, is_open, get_executor, socket, native_handle: BasicSocket.

 protected:
  explicit BasicDatagram(socket_type socket) : BasicSocket<Protocol>(std::move(socket)) {}
  ~BasicDatagram() = default;

  using BasicSocket<Protocol>::socket_;
  using BasicSocket<Protocol>::throw_error;

  /// A closed socket on the calling fiber's executor.
  static socket_type make_socket(const char* caller);
  std::size_t send_to_endpoint(boost::asio::const_buffer datagram, const endpoint_type& to, error_code& ec);
  std::size_t receive_from_endpoint(boost::asio::mutable_buffer buffer, endpoint_type& from, error_code& ec);
};

extern template class BasicDatagram<boost::asio::ip::udp>;
extern template class BasicDatagram<boost::asio::local::datagram_protocol>;

}  // namespace zio::net
