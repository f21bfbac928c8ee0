#pragma once
/// The listening socket behind zio::net::TcpListener and UnixListener.
#include <zio/error.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/socket_base.hpp>

namespace zio::net {

struct ListenOptions {
  /// Pending connections the kernel queues before accept() takes them.
  int backlog = boost::asio::socket_base::max_listen_connections;
  /// SO_REUSEADDR: bind again at once to a port whose old connections linger in TIME_WAIT.
  bool reuse_address = true;
  /// SO_REUSEPORT: several listeners (processes or executors) share one port (TCP only).
  bool reuse_port = false;
};

/// A listening socket whose accept() blocks only the calling fiber. Accepted connections are
/// spread over the runtime's executors (each gets the reactor of the next executor in turn).
/// accept() is cancellable; when it fails (for instance EMFILE: out of file descriptors) it
/// reports the error and the listener keeps working. Fiber only.
template <typename Protocol>
class BasicListener {
 public:
  using protocol_type = Protocol;
  using acceptor_type = typename Protocol::acceptor;
  using socket_type = typename Protocol::socket;
  using endpoint_type = typename Protocol::endpoint;
  using executor_type = typename acceptor_type::executor_type;

  BasicListener(BasicListener&&) noexcept = default;
  BasicListener& operator=(BasicListener&&) noexcept = default;

  void close();
  void close(error_code& ec) noexcept;
  bool is_open() const noexcept { return acceptor_.is_open(); }

  executor_type get_executor() noexcept { return acceptor_.get_executor(); }
  acceptor_type& acceptor() noexcept { return acceptor_; }

 protected:
  explicit BasicListener(acceptor_type acceptor) noexcept : acceptor_(std::move(acceptor)) {}
  ~BasicListener() = default;

  /// Opens, binds and listens on the calling fiber's executor.
  static acceptor_type open(const endpoint_type& endpoint, const ListenOptions& options, error_code& ec,
                            const char* caller);
  /// Accepts one connection; the socket is closed when `ec` is set.
  socket_type accept_socket(endpoint_type& peer, error_code& ec, const char* caller);

  acceptor_type acceptor_;
};

extern template class BasicListener<boost::asio::ip::tcp>;
extern template class BasicListener<boost::asio::local::stream_protocol>;

}  // namespace zio::net
