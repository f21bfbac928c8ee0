#include <zio/net/unix.hpp>

#include <zio/detail/socket_ops.hpp>

#include <boost/asio/local/connect_pair.hpp>

#include <sys/un.h>

namespace zio::net {
namespace {

// "@name" → the abstract name "\0name". Asio's endpoint throws on a long path; this reports.
template <typename Endpoint>
Endpoint to_endpoint(std::string_view path, error_code& ec) {
  std::string name(path);
  if (!name.empty() && name.front() == '@') name.front() = '\0';
  if (name.size() > sizeof(sockaddr_un::sun_path) - 1) {
    ec = boost::asio::error::name_too_long;
    return {};
  }
  ec.clear();
  return Endpoint(name);
}

template <typename Endpoint>
std::string to_path(const Endpoint& endpoint) {
  std::string path = endpoint.path();
  if (!path.empty() && path.front() == '\0') path.front() = '@';
  return path;
}

std::string quoted(const char* call, std::string_view path) { return std::string(call) + "(\"" + std::string(path) + "\")"; }

}  // namespace

UnixStream UnixStream::connect(std::string_view path, error_code& ec) {
  socket_type socket(detail::current_io("zio::net::UnixStream::connect"));
  const auto endpoint = to_endpoint<endpoint_type>(path, ec);
  if (!ec) ec = detail::enter_blocking_call();
  if (!ec) socket.open(endpoint.protocol(), ec);
  if (!ec) socket.async_connect(endpoint, use_fiber[ec]);
  return UnixStream(detail::close_on_error(std::move(socket), ec));
}

UnixStream UnixStream::connect(std::string_view path) {
  error_code ec;
  UnixStream stream = connect(path, ec);
  if (ec) detail::throw_error(ec, quoted("zio::net::UnixStream::connect", path).c_str());
  return stream;
}

std::pair<UnixStream, UnixStream> UnixStream::pair() {
  auto& io = detail::current_io("zio::net::UnixStream::pair");
  socket_type a(io);
  socket_type b(io);
  boost::asio::local::connect_pair(a, b);
  return {UnixStream(std::move(a)), UnixStream(std::move(b))};
}

// Uses of the descriptor, as TcpStream's address calls (tcp.cpp).
std::string UnixStream::local_path() const {
  const Use use(*this);
  require(use, "local_path");
  return to_path(socket_.local_endpoint());
}
std::string UnixStream::peer_path() const {
  const Use use(*this);
  require(use, "peer_path");
  return to_path(socket_.remote_endpoint());
}

UnixListener UnixListener::bind(std::string_view path, const ListenOptions& options, error_code& ec) {
  const auto endpoint = to_endpoint<endpoint_type>(path, ec);
  if (ec) return UnixListener(acceptor_type(detail::current_io("zio::net::UnixListener::bind")));
  return UnixListener(open(endpoint, options, ec, "zio::net::UnixListener::bind"));
}

UnixListener UnixListener::bind(std::string_view path, error_code& ec) { return bind(path, ListenOptions{}, ec); }

UnixListener UnixListener::bind(std::string_view path, const ListenOptions& options) {
  error_code ec;
  UnixListener listener = bind(path, options, ec);
  if (ec) detail::throw_error(ec, quoted("zio::net::UnixListener::bind", path).c_str());
  return listener;
}

UnixAccepted UnixListener::accept(error_code& ec) {
  endpoint_type peer;
  UnixStream stream(accept_socket(peer, ec, "zio::net::UnixListener::accept"));
  return {std::move(stream), to_path(peer)};
}

UnixAccepted UnixListener::accept() {
  error_code ec;
  UnixAccepted accepted = accept(ec);
  if (ec) detail::throw_error(ec, "zio::net::UnixListener::accept");
  return accepted;
}

std::string UnixListener::path() const { return to_path(acceptor_.local_endpoint()); }

UnixDatagram UnixDatagram::bind(std::string_view path, error_code& ec) {
  socket_type socket = make_socket("zio::net::UnixDatagram::bind");
  const auto endpoint = to_endpoint<endpoint_type>(path, ec);
  if (!ec) socket.open(endpoint.protocol(), ec);
  if (!ec) socket.bind(endpoint, ec);
  return UnixDatagram(detail::close_on_error(std::move(socket), ec));
}

UnixDatagram UnixDatagram::bind(std::string_view path) {
  error_code ec;
  UnixDatagram socket = bind(path, ec);
  if (ec) detail::throw_error(ec, quoted("zio::net::UnixDatagram::bind", path).c_str());
  return socket;
}

UnixDatagram UnixDatagram::unbound() {
  socket_type socket = make_socket("zio::net::UnixDatagram::unbound");
  socket.open(boost::asio::local::datagram_protocol());
  return UnixDatagram(std::move(socket));
}

std::pair<UnixDatagram, UnixDatagram> UnixDatagram::pair() {
  auto& io = detail::current_io("zio::net::UnixDatagram::pair");
  socket_type a(io);
  socket_type b(io);
  boost::asio::local::connect_pair(a, b);
  return {UnixDatagram(std::move(a)), UnixDatagram(std::move(b))};
}

void UnixDatagram::connect(std::string_view path, error_code& ec) {
  const auto endpoint = to_endpoint<endpoint_type>(path, ec);
  if (!ec && !is_open()) ec = boost::asio::error::bad_descriptor;  // Asio would reopen it
  if (!ec) socket_.connect(endpoint, ec);  // records the peer; never waits
}

void UnixDatagram::connect(std::string_view path) {
  error_code ec;
  connect(path, ec);
  if (ec) detail::throw_error(ec, quoted("zio::net::UnixDatagram::connect", path).c_str());
}

std::size_t UnixDatagram::send_to(boost::asio::const_buffer datagram, std::string_view path, error_code& ec) {
  const auto endpoint = to_endpoint<endpoint_type>(path, ec);
  if (ec) return 0;
  return send_to_endpoint(datagram, endpoint, ec);
}

std::size_t UnixDatagram::send_to(boost::asio::const_buffer datagram, std::string_view path) {
  error_code ec;
  const std::size_t n = send_to(datagram, path, ec);
  if (ec) throw_error(ec, "send_to");
  return n;
}

std::size_t UnixDatagram::receive_from(boost::asio::mutable_buffer buffer, std::string& from, error_code& ec) {
  endpoint_type sender;
  const std::size_t n = receive_from_endpoint(buffer, sender, ec);
  from = to_path(sender);
  return n;
}

std::size_t UnixDatagram::receive_from(boost::asio::mutable_buffer buffer, std::string& from) {
  error_code ec;
  const std::size_t n = receive_from(buffer, from, ec);
  if (ec) throw_error(ec, "receive_from");
  return n;
}

std::string UnixDatagram::local_path() const { return to_path(socket_.local_endpoint()); }

void teardown(boost::beast::role_type, UnixStream& stream, error_code& ec) { detail::teardown_stream(stream, ec); }

}  // namespace zio::net
