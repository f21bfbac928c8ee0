#pragma once
// Streams for the io tests: an in-memory stream that hands out data in small chunks, and a
// fiber adapter over an Asio local socket that waits with zio::use_fiber.
#include <zio/detail/async_waiter.hpp>
#include <zio/io/use_fiber.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

namespace zio::test {

/// Reads from `input` and appends writes to `output`, at most 1, 2, 3, 1, 2, 3... bytes per
/// call (`chunk_max` bounds the cycle), so every buffer boundary gets exercised. A one-shot
/// error can be planted for the next read or write.
class MemoryStream {
 public:
  explicit MemoryStream(std::string input = {}, std::size_t chunk_max = 3)
      : input_(std::move(input)), chunk_max_(std::max<std::size_t>(chunk_max, 1)) {}

  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    ec.clear();
    ++read_calls;
    if (fail_read) {
      ec = std::exchange(fail_read, {});
      return 0;
    }
    if (boost::asio::buffer_size(buffers) == 0) return 0;
    if (pos_ == input_.size()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    const std::size_t chunk = std::min(next_chunk(), input_.size() - pos_);
    const std::size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(input_.data() + pos_, chunk));
    pos_ += n;
    return n;
  }
  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) zio::detail::throw_error(ec, "MemoryStream::read_some");
    return n;
  }

  template <typename ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
    ec.clear();
    ++write_calls;
    if (fail_write) {
      ec = std::exchange(fail_write, {});
      return 0;
    }
    std::string bytes(boost::asio::buffer_size(buffers), '\0');
    boost::asio::buffer_copy(boost::asio::buffer(bytes), buffers);
    bytes.resize(std::min(bytes.size(), next_chunk()));
    output += bytes;
    return bytes.size();
  }
  template <typename ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers) {
    error_code ec;
    std::size_t n = write_some(buffers, ec);
    if (ec) zio::detail::throw_error(ec, "MemoryStream::write_some");
    return n;
  }

  void append_input(const std::string& more) { input_ += more; }

  std::string output;
  error_code fail_read;   // returned (once) by the next read_some
  error_code fail_write;  // returned (once) by the next write_some
  int read_calls = 0;
  int write_calls = 0;

 private:
  std::size_t next_chunk() noexcept { return 1 + (chunks_++ % chunk_max_); }

  std::string input_;
  std::size_t pos_ = 0;
  std::size_t chunk_max_;
  std::size_t chunks_ = 0;
};

/// An endless stream of 'x' without a newline.
class EndlessStream {
 public:
  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    ec.clear();
    std::size_t n = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b(*it);
      std::fill_n(static_cast<char*>(b.data()), b.size(), 'x');
      n += b.size();
    }
    total += n;
    return n;
  }
  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    return read_some(buffers, ec);
  }
  std::size_t total = 0;
};

using LocalSocket = boost::asio::local::stream_protocol::socket;

/// A connected pair of local stream sockets on the calling fiber's io_context.
inline std::pair<LocalSocket, LocalSocket> socket_pair() {
  auto& io = zio::detail::current_io("socket_pair");
  LocalSocket a(io), b(io);
  boost::asio::local::connect_pair(a, b);
  return {std::move(a), std::move(b)};
}

/// A SyncReadStream/SyncWriteStream over a local socket whose calls wait with use_fiber.
class FiberSocket {
 public:
  explicit FiberSocket(LocalSocket& socket) : socket_(&socket) {}

  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    return socket_->async_read_some(buffers, zio::use_fiber[ec]);
  }
  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    return socket_->async_read_some(buffers, zio::use_fiber);
  }
  template <typename ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
    return socket_->async_write_some(buffers, zio::use_fiber[ec]);
  }
  template <typename ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers) {
    return socket_->async_write_some(buffers, zio::use_fiber);
  }

  LocalSocket& socket() noexcept { return *socket_; }

 private:
  LocalSocket* socket_;
};

}  // namespace zio::test
