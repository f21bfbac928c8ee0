#include <zio/net/tcp.hpp>

#include <zio/detail/socket_ops.hpp>
#include <zio/net/dns.hpp>

namespace zio::net {
namespace {

[[noreturn]] void throw_with(const error_code& ec, const std::string& what) { detail::throw_error(ec, what.c_str()); }

}  // namespace

TcpStream TcpStream::connect(const Address& address, error_code& ec) {
  socket_type socket(detail::current_io("zio::net::TcpStream::connect"));
  if ((ec = detail::enter_blocking_call())) return TcpStream(std::move(socket));
  socket.open(address.tcp().protocol(), ec);
  if (!ec) socket.async_connect(address.tcp(), use_fiber[ec]);
  return TcpStream(detail::close_on_error(std::move(socket), ec));
}

TcpStream TcpStream::connect(const Address& address) {
  error_code ec;
  TcpStream stream = connect(address, ec);
  if (ec) throw_with(ec, "zio::net::TcpStream::connect(" + address.to_string() + ")");
  return stream;
}

TcpStream TcpStream::connect(std::string_view host, std::uint16_t port, error_code& ec) {
  const std::vector<Address> addresses = resolve(host, port, ec);
  if (ec) return TcpStream(socket_type(detail::current_io("zio::net::TcpStream::connect")));
  for (const Address& address : addresses) {
    TcpStream stream = connect(address, ec);
    if (!ec || ec == errc::canceled) return stream;
  }
  return TcpStream(socket_type(detail::current_io("zio::net::TcpStream::connect")));
}

TcpStream TcpStream::connect(std::string_view host, std::uint16_t port) {
  error_code ec;
  TcpStream stream = connect(host, port, ec);
  if (ec) throw_with(ec, "zio::net::TcpStream::connect(\"" + std::string(host) + "\", " + std::to_string(port) + ")");
  return stream;
}

// Option and address calls are uses of the descriptor (BasicSocket::Use): after close() they
// fail with bad_descriptor even while a read on another fiber still holds the descriptor.
void TcpStream::set_nodelay(bool on, error_code& ec) noexcept {
  const Use use(*this);
  if (!use) {
    ec = boost::asio::error::bad_descriptor;
    return;
  }
  socket_.set_option(boost::asio::ip::tcp::no_delay(on), ec);
}
void TcpStream::set_nodelay(bool on) {
  error_code ec;
  set_nodelay(on, ec);
  if (ec) throw_error(ec, "set_nodelay");
}
bool TcpStream::nodelay() const {
  const Use use(*this);
  require(use, "nodelay");
  boost::asio::ip::tcp::no_delay option;
  socket_.get_option(option);
  return option.value();
}

void TcpStream::set_keepalive(bool on, error_code& ec) noexcept {
  const Use use(*this);
  if (!use) {
    ec = boost::asio::error::bad_descriptor;
    return;
  }
  socket_.set_option(boost::asio::socket_base::keep_alive(on), ec);
}
void TcpStream::set_keepalive(bool on) {
  error_code ec;
  set_keepalive(on, ec);
  if (ec) throw_error(ec, "set_keepalive");
}
bool TcpStream::keepalive() const {
  const Use use(*this);
  require(use, "keepalive");
  boost::asio::socket_base::keep_alive option;
  socket_.get_option(option);
  return option.value();
}

Address TcpStream::local_address(error_code& ec) const noexcept {
  const Use use(*this);
  if (!use) {
    ec = boost::asio::error::bad_descriptor;
    return {};
  }
  return socket_.local_endpoint(ec);
}
Address TcpStream::local_address() const {
  const Use use(*this);
  require(use, "local_address");
  return socket_.local_endpoint();
}
Address TcpStream::peer_address(error_code& ec) const noexcept {
  const Use use(*this);
  if (!use) {
    ec = boost::asio::error::bad_descriptor;
    return {};
  }
  return socket_.remote_endpoint(ec);
}
Address TcpStream::peer_address() const {
  const Use use(*this);
  require(use, "peer_address");
  return socket_.remote_endpoint();
}

TcpListener TcpListener::bind(const Address& address, const ListenOptions& options, error_code& ec) {
  return TcpListener(open(address.tcp(), options, ec, "zio::net::TcpListener::bind"));
}

TcpListener TcpListener::bind(const Address& address, error_code& ec) { return bind(address, ListenOptions{}, ec); }

TcpListener TcpListener::bind(const Address& address, const ListenOptions& options) {
  error_code ec;
  TcpListener listener = bind(address, options, ec);
  if (ec) throw_with(ec, "zio::net::TcpListener::bind(" + address.to_string() + ")");
  return listener;
}

TcpAccepted TcpListener::accept(error_code& ec) {
  boost::asio::ip::tcp::endpoint peer;
  TcpStream stream(accept_socket(peer, ec, "zio::net::TcpListener::accept"));
  return {std::move(stream), peer};
}

TcpAccepted TcpListener::accept() {
  error_code ec;
  TcpAccepted accepted = accept(ec);
  if (ec) detail::throw_error(ec, "zio::net::TcpListener::accept");
  return accepted;
}

Address TcpListener::local_address() const { return acceptor_.local_endpoint(); }

void teardown(boost::beast::role_type, TcpStream& stream, error_code& ec) { detail::teardown_stream(stream, ec); }

}  // namespace zio::net
