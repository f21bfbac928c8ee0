#include <zio/net/basic_socket.hpp>

#include <zio/detail/poller.hpp>

#include <string>
#include <type_traits>
#include <utility>

namespace zio::net {
namespace {

/// The zio type each protocol's socket stands for, for error messages.
template <typename Protocol>
constexpr const char* type_name() {
  if constexpr (std::is_same_v<Protocol, boost::asio::ip::tcp>) {
    return "zio::net::TcpStream";
  } else if constexpr (std::is_same_v<Protocol, boost::asio::local::stream_protocol>) {
    return "zio::net::UnixStream";
  } else if constexpr (std::is_same_v<Protocol, boost::asio::ip::udp>) {
    return "zio::net::UdpSocket";
  } else {
    return "zio::net::UnixDatagram";
  }
}

}  // namespace

template <typename Protocol>
BasicSocket<Protocol>::BasicSocket(socket_type socket) : socket_(std::move(socket)) {
  if (socket_.is_open()) socket_.non_blocking(true);
}

template <typename Protocol>
BasicSocket<Protocol>::BasicSocket(BasicSocket&& other) noexcept
    : readiness_(other.readiness_.exchange(nullptr, std::memory_order_relaxed)), socket_(std::move(other.socket_)) {}

template <typename Protocol>
BasicSocket<Protocol>& BasicSocket<Protocol>::operator=(BasicSocket&& other) noexcept {
  if (this != &other) {
    release_readiness();  // before the old descriptor closes
    socket_ = std::move(other.socket_);
    readiness_.store(other.readiness_.exchange(nullptr, std::memory_order_relaxed), std::memory_order_relaxed);
  }
  return *this;
}

template <typename Protocol>
BasicSocket<Protocol>::~BasicSocket() {
  release_readiness();
}

template <typename Protocol>
void BasicSocket<Protocol>::release_readiness() noexcept {
  detail::Readiness* readiness = readiness_.exchange(nullptr, std::memory_order_acq_rel);
  if (readiness && readiness != detail::Readiness::registering()) {
    detail::Readiness::release(readiness, socket_.native_handle(), socket_.is_open());
  }
}

template <typename Protocol>
void BasicSocket<Protocol>::throw_error(const error_code& ec, const char* operation) {
  const std::string what = std::string(type_name<Protocol>()) + "::" + operation;
  detail::throw_error(ec, what.c_str());
}

template <typename Protocol>
void BasicSocket<Protocol>::close(error_code& ec) noexcept {
  // Kept until the socket dies: a fiber woken from a wait here still looks at it.
  detail::Readiness* readiness = readiness_.load(std::memory_order_acquire);
  if (readiness && readiness != detail::Readiness::registering()) {
    readiness->stop(socket_.native_handle(), socket_.is_open());
  }
  socket_.close(ec);
}

template <typename Protocol>
void BasicSocket<Protocol>::close() {
  error_code ec;
  close(ec);
  if (ec) throw_error(ec, "close");
}

template class BasicSocket<boost::asio::ip::tcp>;
template class BasicSocket<boost::asio::local::stream_protocol>;
template class BasicSocket<boost::asio::ip::udp>;
template class BasicSocket<boost::asio::local::datagram_protocol>;

}  // namespace zio::net
