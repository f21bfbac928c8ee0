#include <zio/net/basic_listener.hpp>

#include <zio/detail/runtime_core.hpp>
#include <zio/detail/socket_ops.hpp>

#include <boost/asio/detail/socket_option.hpp>

#include <sys/socket.h>

#include <type_traits>

namespace zio::net {
namespace {

using ReusePort = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

template <typename Acceptor, typename Socket, typename Endpoint>
[[gnu::noinline]] void try_accept(Acceptor& acceptor, Socket& socket, Endpoint& peer, error_code& ec) {
  acceptor.accept(socket, peer, ec);
}

}  // namespace

template <typename Protocol>
typename Protocol::acceptor BasicListener<Protocol>::open(const endpoint_type& endpoint, const ListenOptions& options,
                                                      error_code& ec, const char* caller) {
  acceptor_type acceptor(detail::current_io(caller));
  // With BOOST_ASIO_NO_DEPRECATED, Asio's error_code overloads return void: check ec after each.
  acceptor.open(endpoint.protocol(), ec);
  if constexpr (std::is_same_v<Protocol, boost::asio::ip::tcp>) {
    if (!ec && options.reuse_address) acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
    if (!ec && options.reuse_port) acceptor.set_option(ReusePort(true), ec);
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(options.backlog, ec);
  if (!ec) acceptor.non_blocking(true, ec);
  return detail::close_on_error(std::move(acceptor), ec);
}

template <typename Protocol>
typename Protocol::socket BasicListener<Protocol>::accept_socket(endpoint_type& peer, error_code& ec,
                                                                 const char* caller) {
  detail::TaskBase& task = detail::TaskBase::current_or_throw(caller);
  // Spread connections over the reactors: each accepted socket's I/O completes on the next
  // executor in turn, which pulls the fiber serving it there.
  socket_type socket(task.core().next_io());
  if ((ec = detail::enter_blocking_call(&task))) return socket;
  try_accept(acceptor_, socket, peer, ec);
  if (detail::would_block(ec)) acceptor_.async_accept(socket, peer, use_fiber[ec]);
  return detail::close_on_error(std::move(socket), ec);
}

template <typename Protocol>
void BasicListener<Protocol>::close(error_code& ec) noexcept {
  acceptor_.close(ec);
}

template <typename Protocol>
void BasicListener<Protocol>::close() {
  error_code ec;
  close(ec);
  if (ec) detail::throw_error(ec, "zio::net listener close");
}

template class BasicListener<boost::asio::ip::tcp>;
template class BasicListener<boost::asio::local::stream_protocol>;

}  // namespace zio::net
