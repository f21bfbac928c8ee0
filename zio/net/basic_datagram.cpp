#include <zio/net/basic_datagram.hpp>

#include <zio/detail/socket_ops.hpp>

#include <sys/socket.h>

#include <type_traits>

namespace zio::net {
namespace {

// MSG_TRUNC makes the kernel return a datagram's real length even when the buffer was shorter,
// which is how truncation is noticed.
constexpr boost::asio::socket_base::message_flags report_truncation = MSG_TRUNC;

template <typename Socket, typename Endpoint>
[[gnu::noinline]] std::size_t try_receive_from(Socket& socket, boost::asio::mutable_buffer buffer, Endpoint& from,
                                               error_code& ec) {
  return socket.receive_from(buffer, from, report_truncation, ec);
}

template <typename Socket>
[[gnu::noinline]] std::size_t try_receive(Socket& socket, boost::asio::mutable_buffer buffer, error_code& ec) {
  return socket.receive(buffer, report_truncation, ec);
}

template <typename Socket, typename Endpoint>
[[gnu::noinline]] std::size_t try_send_to(Socket& socket, boost::asio::const_buffer datagram, const Endpoint& to,
                                          error_code& ec) {
  return socket.send_to(datagram, to, 0, ec);
}

template <typename Socket>
[[gnu::noinline]] std::size_t try_send(Socket& socket, boost::asio::const_buffer datagram, error_code& ec) {
  return socket.send(datagram, 0, ec);
}

std::size_t check_truncation(std::size_t received, std::size_t capacity, error_code& ec) noexcept {
  if (!ec && received > capacity) {
    ec = boost::asio::error::message_size;
    return capacity;
  }
  return received;
}

}  // namespace

template <typename Protocol>
typename BasicDatagram<Protocol>::socket_type BasicDatagram<Protocol>::make_socket(const char* caller) {
  return socket_type(detail::current_io(caller));
}

template <typename Protocol>
std::size_t BasicDatagram<Protocol>::send_to_endpoint(boost::asio::const_buffer datagram, const endpoint_type& to,
                                                      error_code& ec) {
  if ((ec = detail::enter_fiber_call("zio::net datagram send_to"))) return 0;
  const std::size_t n = try_send_to(socket_, datagram, to, ec);
  if (!detail::would_block(ec)) return n;
  return socket_.async_send_to(datagram, to, detail::fiber_token(ec, write_limit_));
}

template <typename Protocol>
std::size_t BasicDatagram<Protocol>::receive_from_endpoint(boost::asio::mutable_buffer buffer, endpoint_type& from,
                                                           error_code& ec) {
  if ((ec = detail::enter_fiber_call("zio::net datagram receive_from"))) return 0;
  std::size_t n = try_receive_from(socket_, buffer, from, ec);
  if (detail::would_block(ec)) {
    n = socket_.async_receive_from(buffer, from, report_truncation, detail::fiber_token(ec, read_limit_));
  }
  return check_truncation(n, buffer.size(), ec);
}

template <typename Protocol>
std::size_t BasicDatagram<Protocol>::send(boost::asio::const_buffer datagram, error_code& ec) {
  if ((ec = detail::enter_fiber_call("zio::net datagram send"))) return 0;
  const std::size_t n = try_send(socket_, datagram, ec);
  if (!detail::would_block(ec)) return n;
  return socket_.async_send(datagram, detail::fiber_token(ec, write_limit_));
}

template <typename Protocol>
std::size_t BasicDatagram<Protocol>::send(boost::asio::const_buffer datagram) {
  error_code ec;
  const std::size_t n = send(datagram, ec);
  if (ec) throw_error(ec, "send");
  return n;
}

template <typename Protocol>
std::size_t BasicDatagram<Protocol>::receive(boost::asio::mutable_buffer buffer, error_code& ec) {
  if ((ec = detail::enter_fiber_call("zio::net datagram receive"))) return 0;
  std::size_t n = try_receive(socket_, buffer, ec);
  if (detail::would_block(ec)) {
    n = socket_.async_receive(buffer, report_truncation, detail::fiber_token(ec, read_limit_));
  }
  return check_truncation(n, buffer.size(), ec);
}

template <typename Protocol>
std::size_t BasicDatagram<Protocol>::receive(boost::asio::mutable_buffer buffer) {
  error_code ec;
  const std::size_t n = receive(buffer, ec);
  if (ec) throw_error(ec, "receive");
  return n;
}


template class BasicDatagram<boost::asio::ip::udp>;
template class BasicDatagram<boost::asio::local::datagram_protocol>;

}  // namespace zio::net
