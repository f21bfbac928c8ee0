#pragma once
/// zio::net::Address: an IPv4 or IPv6 address with a port.
#include <zio/error.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace zio::net {

/// An IP endpoint. Text form: "127.0.0.1:8080" or "[::1]:8080".
class Address {
 public:
  /// 0.0.0.0:0.
  Address() = default;
  Address(boost::asio::ip::address ip, std::uint16_t port) noexcept : ip_(std::move(ip)), port_(port) {}
  Address(const boost::asio::ip::tcp::endpoint& endpoint) noexcept  // NOLINT: a lossless conversion
      : ip_(endpoint.address()), port_(endpoint.port()) {}
  Address(const boost::asio::ip::udp::endpoint& endpoint) noexcept  // NOLINT: a lossless conversion
      : ip_(endpoint.address()), port_(endpoint.port()) {}

  /// Parses "a.b.c.d:port" or "[v6]:port". Throws std::invalid_argument naming the text and
  /// what was wrong with it.
  static Address parse(std::string_view text);
  /// As above; sets `ec` (boost::system::errc::invalid_argument) instead of throwing.
  static Address parse(std::string_view text, error_code& ec) noexcept;

  static Address loopback_v4(std::uint16_t port) noexcept { return {boost::asio::ip::address_v4::loopback(), port}; }
  static Address loopback_v6(std::uint16_t port) noexcept { return {boost::asio::ip::address_v6::loopback(), port}; }
  static Address any_v4(std::uint16_t port) noexcept { return {boost::asio::ip::address_v4::any(), port}; }
  static Address any_v6(std::uint16_t port) noexcept { return {boost::asio::ip::address_v6::any(), port}; }

  const boost::asio::ip::address& ip() const noexcept { return ip_; }
  std::uint16_t port() const noexcept { return port_; }
  bool is_v4() const noexcept { return ip_.is_v4(); }
  bool is_v6() const noexcept { return ip_.is_v6(); }

  boost::asio::ip::tcp::endpoint tcp() const noexcept { return {ip_, port_}; }
  boost::asio::ip::udp::endpoint udp() const noexcept { return {ip_, port_}; }

  /// "127.0.0.1:8080" or "[::1]:8080".
  std::string to_string() const;

  friend bool operator==(const Address&, const Address&) noexcept = default;

 private:
  boost::asio::ip::address ip_;
  std::uint16_t port_ = 0;
};

std::ostream& operator<<(std::ostream& out, const Address& address);

}  // namespace zio::net
