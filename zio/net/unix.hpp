#pragma once
/// Unix domain sockets: zio::net::UnixStream, UnixListener and UnixDatagram.
///
/// Paths are file system paths, or abstract names (Linux) written with a leading '@':
/// "@zio-test" is the abstract name "\0zio-test", which needs no file and vanishes with the
/// socket. A path longer than the system allows (107 bytes) is an error (name_too_long).
#include <zio/net/basic_datagram.hpp>
#include <zio/net/basic_listener.hpp>
#include <zio/net/basic_stream.hpp>

#include <boost/beast/core/role.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace zio::net {

/// A connected Unix stream socket. See BasicStream.
class UnixStream : public BasicStream<boost::asio::local::stream_protocol> {
 public:
  static UnixStream connect(std::string_view path);
  static UnixStream connect(std::string_view path, error_code& ec);
  /// Two connected streams (socketpair).
  static std::pair<UnixStream, UnixStream> pair();

  std::string local_path() const;
  std::string peer_path() const;

 private:
  friend class UnixListener;
  explicit UnixStream(socket_type socket) : BasicStream(std::move(socket)) {}
};

struct UnixAccepted {
  UnixStream stream;
  std::string peer;  ///< usually empty: clients rarely bind a path
};

/// A listening Unix stream socket. See BasicListener. A file system path must not exist yet;
/// the listener does not remove it when closed.
class UnixListener : public BasicListener<boost::asio::local::stream_protocol> {
 public:
  static UnixListener bind(std::string_view path, const ListenOptions& options = {});
  static UnixListener bind(std::string_view path, error_code& ec);
  static UnixListener bind(std::string_view path, const ListenOptions& options, error_code& ec);

  UnixAccepted accept();
  UnixAccepted accept(error_code& ec);

  std::string path() const;

 private:
  explicit UnixListener(acceptor_type acceptor) : BasicListener(std::move(acceptor)) {}
};

/// A Unix datagram socket. See BasicDatagram.
class UnixDatagram : public BasicDatagram<boost::asio::local::datagram_protocol> {
 public:
  /// A socket bound to `path`, which can receive datagrams sent to it.
  static UnixDatagram bind(std::string_view path);
  static UnixDatagram bind(std::string_view path, error_code& ec);
  /// A socket bound to no path: it can send, and receive replies only if connected.
  static UnixDatagram unbound();
  /// Two connected datagram sockets (socketpair).
  static std::pair<UnixDatagram, UnixDatagram> pair();

  void connect(std::string_view path);
  void connect(std::string_view path, error_code& ec);

  std::size_t send_to(boost::asio::const_buffer datagram, std::string_view path);
  std::size_t send_to(boost::asio::const_buffer datagram, std::string_view path, error_code& ec);
  /// Receives one datagram and the sender's path ("" for an unbound sender).
  std::size_t receive_from(boost::asio::mutable_buffer buffer, std::string& from);
  std::size_t receive_from(boost::asio::mutable_buffer buffer, std::string& from, error_code& ec);

  std::string local_path() const;

 private:
  explicit UnixDatagram(socket_type socket) : BasicDatagram(std::move(socket)) {}
};

/// Closes a WebSocket's connection for Boost.Beast (found by argument-dependent lookup):
/// sends FIN, reads until the peer's, then closes; so websocket::stream<UnixStream> works.
void teardown(boost::beast::role_type role, UnixStream& stream, error_code& ec);

}  // namespace zio::net
