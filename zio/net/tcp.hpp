#pragma once
/// TCP: zio::net::TcpStream and TcpListener.
#include <zio/net/address.hpp>
#include <zio/net/basic_listener.hpp>
#include <zio/net/basic_stream.hpp>

#include <boost/beast/core/role.hpp>

#include <cstdint>
#include <string_view>

namespace zio::net {

/// A TCP connection. See BasicStream for reading, writing, time limits and cancellation.
class TcpStream : public BasicStream<boost::asio::ip::tcp> {
 public:
  /// Connects to `address`. Throws system_error naming the address (connection refused,
  /// unreachable, ...), Canceled if the fiber is cancelled meanwhile. Fiber only.
  static TcpStream connect(const Address& address);
  /// As above, reporting through `ec`; the stream returned is closed when `ec` is set.
  static TcpStream connect(const Address& address, error_code& ec);
  /// Resolves `host` (without blocking the executor) and tries each of its addresses in turn
  /// until one accepts; the error of the last attempt is reported.
  static TcpStream connect(std::string_view host, std::uint16_t port);
  static TcpStream connect(std::string_view host, std::uint16_t port, error_code& ec);

  /// TCP_NODELAY: send small writes at once instead of coalescing them (Nagle).
  void set_nodelay(bool on);
  void set_nodelay(bool on, error_code& ec) noexcept;
  bool nodelay() const;
  /// SO_KEEPALIVE: probe an idle connection so a vanished peer is noticed.
  void set_keepalive(bool on);
  void set_keepalive(bool on, error_code& ec) noexcept;
  bool keepalive() const;

  Address local_address() const;
  Address local_address(error_code& ec) const noexcept;
  Address peer_address() const;
  Address peer_address(error_code& ec) const noexcept;

 private:
  friend class TcpListener;
  explicit TcpStream(socket_type socket) : BasicStream(std::move(socket)) {}
};

/// What TcpListener::accept returns: `auto [stream, peer] = listener.accept();`
struct TcpAccepted {
  TcpStream stream;
  Address peer;
};

/// A listening TCP socket. See BasicListener.
class TcpListener : public BasicListener<boost::asio::ip::tcp> {
 public:
  /// Binds to `address` (port 0: the system picks one; see local_address) and listens.
  /// Throws system_error naming the address (address in use, permission denied, ...).
  static TcpListener bind(const Address& address, const ListenOptions& options = {});
  static TcpListener bind(const Address& address, error_code& ec);
  static TcpListener bind(const Address& address, const ListenOptions& options, error_code& ec);

  /// Waits for the next connection. Cancellable; an error (EMFILE, ...) leaves the listener
  /// usable.
  TcpAccepted accept();
  /// As above; when `ec` is set the stream is closed.
  TcpAccepted accept(error_code& ec);

  Address local_address() const;

 private:
  explicit TcpListener(acceptor_type acceptor) : BasicListener(std::move(acceptor)) {}
};

/// Closes a WebSocket's connection for Boost.Beast (found by argument-dependent lookup):
/// sends FIN, reads until the peer's, then closes; so websocket::stream<TcpStream> works.
void teardown(boost::beast::role_type role, TcpStream& stream, error_code& ec);

}  // namespace zio::net
