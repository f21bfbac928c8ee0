#pragma once
/// The connected stream socket behind zio::net::TcpStream and UnixStream.
#include <zio/detail/buffer_list.hpp>
#include <zio/error.hpp>
#include <zio/net/basic_socket.hpp>
#include <zio/net/io_deadline.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/socket_base.hpp>

#include <cstddef>

namespace zio::net {

/// Which direction(s) shutdown() ends.
enum class Shutdown { read, write, both };

/// A connected stream socket whose calls block only the calling fiber.
///
/// Models Asio's SyncReadStream and SyncWriteStream (both overload forms), so asio::read,
/// asio::write, asio::read_until and Beast's synchronous HTTP and WebSocket code run on it
/// unchanged. read_some() reports the end of the stream as boost::asio::error::eof.
///
/// Each call first tries the system call without waiting and waits for readiness only when it
/// would block; a read right after one that emptied the socket waits without trying. To see
/// that a read emptied the socket, a read may take one byte more than it returns and keep it
/// for the next read: once you read through the stream, do not read from its socket()
/// directly. Every call is cancellable: a fiber cancel (or its with_timeout)
/// makes it fail with Canceled / errc::canceled, and a passed read or write limit
/// (set_read_timeout, set_read_deadline, ...) with errc::timed_out; no data is lost or
/// half-transferred by an interrupted call, and the stream stays usable.
///
/// One fiber may read while another writes. To wake a fiber blocked in a read from another
/// fiber, call shutdown(Shutdown::read) (or both): the read returns eof. Calls are fiber only
/// (they throw NotInFiber on a plain thread).
template <typename Protocol>
class BasicStream : public IoLimits, public BasicSocket<Protocol> {
 public:
  using typename BasicSocket<Protocol>::protocol_type;
  using typename BasicSocket<Protocol>::socket_type;
  using typename BasicSocket<Protocol>::endpoint_type;
  using typename BasicSocket<Protocol>::executor_type;

  BasicStream(BasicStream&&) noexcept = default;
  BasicStream& operator=(BasicStream&&) noexcept = default;

  /// Reads at least one byte (unless `buffers` is empty); throws system_error (eof at the end).
  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw_error(ec, "read_some");
    return n;
  }
  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    return read_some_list(detail::MutableBufferList(buffers), ec);
  }

  /// Writes at least one byte (unless `buffers` is empty).
  template <typename ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers) {
    error_code ec;
    const std::size_t n = write_some(buffers, ec);
    if (ec) throw_error(ec, "write_some");
    return n;
  }
  template <typename ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
    return write_some_list(detail::ConstBufferList(buffers), ec);
  }

  /// Fills `buffer` completely; eof if the stream ends first. Returns the bytes read (all of
  /// them, or fewer with `ec` set).
  void read_exact(boost::asio::mutable_buffer buffer);
  std::size_t read_exact(boost::asio::mutable_buffer buffer, error_code& ec);
  /// Writes all of `buffer`. Returns the bytes written (all, or fewer with `ec` set).
  void write_all(boost::asio::const_buffer buffer);
  std::size_t write_all(boost::asio::const_buffer buffer, error_code& ec);

  /// Ends reading, writing or both (the peer reads eof after Shutdown::write).
  void shutdown(Shutdown what);
  void shutdown(Shutdown what, error_code& ec) noexcept;
  // close, is_open, get_executor, socket, native_handle: BasicSocket. Time limits:
  // set_read_timeout, set_write_timeout, set_read_deadline, set_write_deadline (IoLimits).

 protected:
  explicit BasicStream(socket_type socket) : BasicSocket<Protocol>(std::move(socket)) {}
  ~BasicStream() = default;

  using BasicSocket<Protocol>::socket_;
  using BasicSocket<Protocol>::throw_error;

 private:
  std::size_t read_some_list(const detail::MutableBufferList& buffers, error_code& ec);
  std::size_t write_some_list(const detail::ConstBufferList& buffers, error_code& ec);
  using BasicSocket<Protocol>::readiness_;

  // What a read took beyond the bytes it returned (see read_some_list): one byte, returned
  // first by the next read, or the error that ended the stream right after it.
  unsigned char read_ahead_ = 0;
  bool has_read_ahead_ = false;
  error_code deferred_read_error_;
};

extern template class BasicStream<boost::asio::ip::tcp>;
extern template class BasicStream<boost::asio::local::stream_protocol>;

}  // namespace zio::net

namespace zio::detail {
/// Beast's WebSocket teardown for zio streams (see TcpStream's teardown).
template <typename Protocol>
void teardown_stream(net::BasicStream<Protocol>& stream, error_code& ec);
}  // namespace zio::detail
