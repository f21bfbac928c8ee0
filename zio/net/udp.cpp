#include <zio/net/udp.hpp>

#include <zio/detail/socket_ops.hpp>

namespace zio::net {

UdpSocket UdpSocket::bind(const Address& address, error_code& ec) {
  socket_type socket = make_socket("zio::net::UdpSocket::bind");
  socket.open(address.udp().protocol(), ec);
  if (!ec) socket.bind(address.udp(), ec);
  return UdpSocket(detail::close_on_error(std::move(socket), ec));
}

UdpSocket UdpSocket::bind(const Address& address) {
  error_code ec;
  UdpSocket socket = bind(address, ec);
  if (ec) detail::throw_error(ec, ("zio::net::UdpSocket::bind(" + address.to_string() + ")").c_str());
  return socket;
}

void UdpSocket::connect(const Address& peer, error_code& ec) {
  // A datagram connect only records the peer: it never waits. On a closed socket Asio would
  // open a new one; closed means closed.
  if (!is_open()) {
    ec = boost::asio::error::bad_descriptor;
    return;
  }
  socket_.connect(peer.udp(), ec);
}

void UdpSocket::connect(const Address& peer) {
  error_code ec;
  connect(peer, ec);
  if (ec) detail::throw_error(ec, ("zio::net::UdpSocket::connect(" + peer.to_string() + ")").c_str());
}

std::size_t UdpSocket::send_to(boost::asio::const_buffer datagram, const Address& to, error_code& ec) {
  return send_to_endpoint(datagram, to.udp(), ec);
}

std::size_t UdpSocket::send_to(boost::asio::const_buffer datagram, const Address& to) {
  error_code ec;
  const std::size_t n = send_to(datagram, to, ec);
  if (ec) throw_error(ec, "send_to");
  return n;
}

std::size_t UdpSocket::receive_from(boost::asio::mutable_buffer buffer, Address& from, error_code& ec) {
  boost::asio::ip::udp::endpoint sender;
  const std::size_t n = receive_from_endpoint(buffer, sender, ec);
  from = sender;
  return n;
}

std::size_t UdpSocket::receive_from(boost::asio::mutable_buffer buffer, Address& from) {
  error_code ec;
  const std::size_t n = receive_from(buffer, from, ec);
  if (ec) throw_error(ec, "receive_from");
  return n;
}

Address UdpSocket::local_address() const { return socket_.local_endpoint(); }

}  // namespace zio::net
