#pragma once
/// `zio::io::BufferedWriter<Stream>`: a write buffer in front of any synchronous stream, so
/// many small writes become few system calls.
///
///     zio::io::BufferedWriter<zio::net::TcpStream&> out(stream);
///     out.write_all(boost::asio::buffer(header));
///     out.write_all(boost::asio::buffer(body));
///     out.flush();
///
/// `Stream` is any SyncWriteStream (both `write_some` overloads); a reference type borrows
/// the stream. The writer is itself a SyncWriteStream, so Asio's and Beast's sync
/// algorithms run on it.
///
/// Nothing is written to the stream until the buffer is full or flush() is called. The
/// destructor does NOT flush: a flush may block for as long as the peer does not read, or
/// throw Canceled while the stack unwinds, neither of which a destructor may do. Call
/// flush() before destroying the writer; unflushed bytes are dropped.
///
/// Blocking and cancellation are the underlying stream's (on zio streams: the fiber
/// suspends; Canceled is thrown). A failed or cancelled flush keeps the bytes not yet
/// written, so it can be retried. One fiber or thread at a time, like the stream.
#include <zio/error.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

namespace zio::io {

template <typename Stream>
class BufferedWriter {
 public:
  using next_layer_type = std::remove_reference_t<Stream>;

  /// Wraps `stream` with a buffer of `capacity` bytes (at least 1). Never blocks.
  explicit BufferedWriter(Stream stream, std::size_t capacity = 8192)
      : stream_(std::forward<Stream>(stream)), capacity_(std::max<std::size_t>(capacity, 1)) {
    buf_.reserve(capacity_);
  }

  BufferedWriter(BufferedWriter&&) = default;
  BufferedWriter& operator=(BufferedWriter&&) = default;
  /// Does not flush; see the top of this header.
  ~BufferedWriter() = default;

  next_layer_type& next_layer() noexcept { return stream_; }
  const next_layer_type& next_layer() const noexcept { return stream_; }
  /// Bytes accepted but not yet written to the stream.
  std::size_t buffered() const noexcept { return buf_.size(); }

  /// Accepts at least one byte of `buffers` (unless empty): into the buffer if they fit,
  /// after flushing it if not; writes of at least `capacity` bytes go to the stream
  /// directly (one write_some). SyncWriteStream. Throws as flush().
  template <typename ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
    ec.clear();
    const std::size_t size = boost::asio::buffer_size(buffers);
    if (size == 0) return 0;
    if (size > capacity_ - buf_.size()) {
      if (!flush(ec)) return 0;
      if (size >= capacity_) return stream_.write_some(buffers, ec);
    }
    const std::size_t old = buf_.size();
    buf_.resize(old + size);
    boost::asio::buffer_copy(boost::asio::buffer(buf_.data() + old, size), buffers);
    return size;
  }
  template <typename ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers) {
    error_code ec;
    const std::size_t n = write_some(buffers, ec);
    if (ec) zio::detail::throw_error(ec, "zio::io::BufferedWriter::write_some");
    return n;
  }

  /// Accepts all of `buffers` (buffering what fits, writing the rest). Returns the bytes
  /// accepted: all of them, or fewer with `ec` set.
  template <typename ConstBufferSequence>
  std::size_t write_all(const ConstBufferSequence& buffers, error_code& ec) {
    ec.clear();
    std::size_t done = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::const_buffer piece(*it);
      while (piece.size() > 0) {
        const std::size_t n = write_some(piece, ec);
        if (ec) return done + n;
        piece += n;
        done += n;
      }
    }
    return done;
  }
  /// As above; throws system_error or Canceled.
  template <typename ConstBufferSequence>
  void write_all(const ConstBufferSequence& buffers) {
    error_code ec;
    write_all(buffers, ec);
    if (ec) zio::detail::throw_error(ec, "zio::io::BufferedWriter::write_all");
  }

  /// Writes every buffered byte to the stream. Returns true when all went; false with `ec`
  /// set on an error, keeping the bytes not yet written for a later flush.
  bool flush(error_code& ec) {
    ec.clear();
    std::size_t written = 0;
    while (written < buf_.size()) {
      const std::size_t n = stream_.write_some(boost::asio::buffer(buf_.data() + written, buf_.size() - written), ec);
      written += n;
      if (ec) break;
      if (n == 0) {  // a stream that makes no progress without saying why
        ec = boost::asio::error::broken_pipe;
        break;
      }
    }
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(written));
    return !ec;
  }
  /// As above; throws system_error or Canceled (the unwritten bytes stay buffered).
  void flush() {
    error_code ec;
    if (!flush(ec)) zio::detail::throw_error(ec, "zio::io::BufferedWriter::flush");
  }

  // ---- the other direction passes through, so a writer can stand for its stream ----

  template <typename MutableBufferSequence>
    requires requires(next_layer_type& s, const MutableBufferSequence& b, error_code& ec) { s.read_some(b, ec); }
  std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    return stream_.read_some(buffers, ec);
  }
  template <typename MutableBufferSequence>
    requires requires(next_layer_type& s, const MutableBufferSequence& b) { s.read_some(b); }
  std::size_t read_some(const MutableBufferSequence& buffers) {
    return stream_.read_some(buffers);
  }

 private:
  Stream stream_;
  std::size_t capacity_;
  std::vector<char> buf_;  // bytes accepted, not yet written; capacity_ reserved
};

}  // namespace zio::io
