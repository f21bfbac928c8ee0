#pragma once
/// UDP: zio::net::UdpSocket.
#include <zio/net/address.hpp>
#include <zio/net/basic_datagram.hpp>

namespace zio::net {

/// A UDP socket. See BasicDatagram for truncation, limits and cancellation.
class UdpSocket : public BasicDatagram<boost::asio::ip::udp> {
 public:
  /// A socket bound to `address` (port 0: the system picks one). Throws system_error naming
  /// the address. Fiber only.
  static UdpSocket bind(const Address& address);
  static UdpSocket bind(const Address& address, error_code& ec);

  /// Sends to / receives from this peer only (send() and receive()).
  void connect(const Address& peer);
  void connect(const Address& peer, error_code& ec);

  std::size_t send_to(boost::asio::const_buffer datagram, const Address& to);
  std::size_t send_to(boost::asio::const_buffer datagram, const Address& to, error_code& ec);
  /// Receives one datagram and its sender. Truncation: boost::asio::error::message_size.
  std::size_t receive_from(boost::asio::mutable_buffer buffer, Address& from);
  std::size_t receive_from(boost::asio::mutable_buffer buffer, Address& from, error_code& ec);

  Address local_address() const;

 private:
  explicit UdpSocket(socket_type socket) : BasicDatagram(std::move(socket)) {}
};

}  // namespace zio::net
