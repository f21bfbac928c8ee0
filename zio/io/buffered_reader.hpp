#pragma once
/// `zio::io::BufferedReader<Stream>`: a read buffer in front of any synchronous stream, with
/// line reading.
///
///     zio::io::BufferedReader<zio::net::TcpStream&> in(stream);
///     while (auto line = in.read_line()) handle(*line);
///
/// `Stream` is any SyncReadStream (both `read_some` overloads), a zio socket or another
/// buffered layer; a reference type (`S&`) borrows the stream instead of owning it. The
/// reader is itself a SyncReadStream, so Asio's and Beast's sync algorithms run on it.
///
/// Blocking and cancellation are the underlying stream's: on zio streams, calls suspend the
/// fiber and throw Canceled (errc::canceled). A failed or cancelled call consumes nothing:
/// the partial line stays buffered and the next call goes on from it, so a `with_timeout`
/// around read_line can be retried. One fiber or thread at a time, like the stream.
#include <zio/error.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace zio::io {

/// Settings of a BufferedReader, built with designated initialisers.
struct BufferedReaderOptions {
  /// Bytes read from the stream at a time. Reads at least this large bypass the buffer.
  std::size_t capacity = 8192;
  /// Longest line (or read_until record) accepted, in bytes before the delimiter (a "\r"
  /// counts). The buffer grows to hold a line up to this size, never further.
  std::size_t max_line = 1024 * 1024;
};

template <typename Stream>
class BufferedReader {
 public:
  using next_layer_type = std::remove_reference_t<Stream>;

  /// Wraps `stream` (moved in, or borrowed when Stream is a reference). Never blocks.
  explicit BufferedReader(Stream stream, BufferedReaderOptions options = {})
      : stream_(std::forward<Stream>(stream)),
        options_{std::max<std::size_t>(options.capacity, 1), std::max<std::size_t>(options.max_line, 1)},
        buf_(options_.capacity) {}

  BufferedReader(BufferedReader&&) = default;
  BufferedReader& operator=(BufferedReader&&) = default;

  next_layer_type& next_layer() noexcept { return stream_; }
  const next_layer_type& next_layer() const noexcept { return stream_; }
  /// Bytes read from the stream but not yet returned.
  std::size_t buffered() const noexcept { return end_ - begin_; }

  // ---- lines and records ----

  /// Reads one line into `line`, without its "\n" and a "\r" before it. A last line that has
  /// no "\n" before the end of the stream is still returned. Returns false at the end of the
  /// stream (nothing left). Throws system_error for I/O errors, with errc::message_size if
  /// the line exceeds max_line: `line` then holds its first max_line bytes, which are
  /// consumed, and the rest of the line comes next. Throws Canceled.
  bool read_line(std::string& line) {
    error_code ec;
    const bool got = read_line(line, ec);
    if (ec) throw_error(ec, "zio::io::BufferedReader::read_line");
    return got;
  }
  /// As above, reporting through `ec`; returns false on an error too (ec tells which).
  bool read_line(std::string& line, error_code& ec) {
    if (!read_until('\n', line, ec)) return false;
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  /// As above; an empty optional at the end of the stream.
  std::optional<std::string> read_line() {
    std::string line;
    if (!read_line(line)) return std::nullopt;
    return line;
  }

  /// Reads up to and including `delim` into `out` (replacing its contents); at the end of
  /// the stream, the rest without a delimiter. Returns false at the end of the stream with
  /// nothing left, or on an error (then `ec` is set). Errors as read_line.
  bool read_until(char delim, std::string& out, error_code& ec) {
    ec.clear();
    std::size_t scanned = 0;  // bytes after begin_ known to hold no delimiter
    for (;;) {
      const char* start = buf_.data() + begin_;
      if (const void* hit = std::memchr(start + scanned, delim, buffered() - scanned)) {
        const std::size_t length = static_cast<std::size_t>(static_cast<const char*>(hit) - start);
        if (length > options_.max_line) return take_overlong(out, ec);
        take(out, length + 1);
        return true;
      }
      scanned = buffered();
      if (scanned > options_.max_line) return take_overlong(out, ec);
      if (fill(ec) == 0) {
        if (ec != boost::asio::error::eof) return false;
        ec.clear();
        if (buffered() == 0) return false;
        take(out, buffered());  // the last record has no delimiter
        return true;
      }
    }
  }
  bool read_until(char delim, std::string& out) {
    error_code ec;
    const bool got = read_until(delim, out, ec);
    if (ec) throw_error(ec, "zio::io::BufferedReader::read_until");
    return got;
  }
  std::optional<std::string> read_until(char delim) {
    std::string out;
    if (!read_until(delim, out)) return std::nullopt;
    return out;
  }

  // ---- bytes ----

  /// Reads at least one byte (unless `buffers` is empty): buffered bytes first, else one
  /// read of the stream. boost::asio::error::eof at the end of the stream. SyncReadStream.
  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    ec.clear();
    if (boost::asio::buffer_size(buffers) == 0) return 0;
    if (buffered() == 0) {
      // Nothing to gain from copying through the buffer.
      if (boost::asio::buffer_size(buffers) >= options_.capacity) return stream_.read_some(buffers, ec);
      if (fill(ec) == 0) return 0;
    }
    const std::size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(buf_.data() + begin_, buffered()));
    consume(n);
    return n;
  }
  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw_error(ec, "zio::io::BufferedReader::read_some");
    return n;
  }

  /// Fills `buffers` completely. At an early end of the stream, returns the bytes read with
  /// `ec` = boost::asio::error::eof; on an error, those bytes are consumed and lost.
  template <typename MutableBufferSequence>
  std::size_t read_exact(const MutableBufferSequence& buffers, error_code& ec) {
    ec.clear();
    const std::size_t want = boost::asio::buffer_size(buffers);
    std::size_t done = 0;
    while (done < want) {
      done += read_some(tail_of(buffers, done), ec);
      if (ec) break;
    }
    return done;
  }
  /// As above; throws system_error (eof included) or Canceled.
  template <typename MutableBufferSequence>
  void read_exact(const MutableBufferSequence& buffers) {
    error_code ec;
    read_exact(buffers, ec);
    if (ec) throw_error(ec, "zio::io::BufferedReader::read_exact");
  }

  // ---- the other direction passes through, so a reader can stand for its stream ----

  template <typename ConstBufferSequence>
    requires requires(next_layer_type& s, const ConstBufferSequence& b, error_code& ec) { s.write_some(b, ec); }
  std::size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
    return stream_.write_some(buffers, ec);
  }
  template <typename ConstBufferSequence>
    requires requires(next_layer_type& s, const ConstBufferSequence& b) { s.write_some(b); }
  std::size_t write_some(const ConstBufferSequence& buffers) {
    return stream_.write_some(buffers);
  }

 private:
  static void throw_error(const error_code& ec, const char* what) { zio::detail::throw_error(ec, what); }

  // The part of `buffers` after its first `skip` bytes, as one buffer when it is one.
  template <typename MutableBufferSequence>
  static auto tail_of(const MutableBufferSequence& buffers, std::size_t skip) {
    if constexpr (std::is_convertible_v<MutableBufferSequence, boost::asio::mutable_buffer>) {
      return boost::asio::mutable_buffer(buffers) + skip;
    } else {
      // General sequences: copy through a small vector of the remaining pieces.
      std::vector<boost::asio::mutable_buffer> rest;
      for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
        boost::asio::mutable_buffer piece(*it);
        if (skip >= piece.size()) {
          skip -= piece.size();
          continue;
        }
        rest.push_back(piece + skip);
        skip = 0;
      }
      return rest;
    }
  }

  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Moves the first n buffered bytes into `out`.
  void take(std::string& out, std::size_t n) {
    out.assign(buf_.data() + begin_, n);
    consume(n);
  }

  bool take_overlong(std::string& out, error_code& ec) {
    take(out, options_.max_line);
    ec = make_error_code(boost::system::errc::message_size);
    return false;
  }

  // One read of the stream into free space after the buffered bytes, compacting or growing
  // (up to what max_line needs) first. Returns the bytes read; 0 with `ec` set on an error
  // or at the end of the stream. Callers never fill a buffer that is full at its limit:
  // read_until gives up once more than max_line bytes are buffered, read_some fills only
  // an empty buffer.
  std::size_t fill(error_code& ec) {
    if (begin_ == 0 && end_ == 0 && buf_.size() > options_.capacity) {
      // A long line is gone: give its memory back.
      buf_.resize(options_.capacity);
      buf_.shrink_to_fit();
    }
    if (end_ == buf_.size()) {
      if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, buffered());
        end_ -= begin_;
        begin_ = 0;
      } else {
        // max_line + 1 bytes hold the longest line and its delimiter.
        const std::size_t limit = std::max(options_.capacity, options_.max_line + 1);
        buf_.resize(std::min(limit, std::max(buf_.size() * 2, options_.capacity)));
      }
    }
    const std::size_t n = stream_.read_some(boost::asio::buffer(buf_.data() + end_, buf_.size() - end_), ec);
    if (!ec && n == 0) ec = boost::asio::error::eof;  // a stream that signals the end by 0
    if (ec) return 0;
    end_ += n;
    return n;
  }

  Stream stream_;
  BufferedReaderOptions options_;
  std::vector<char> buf_;   // [begin_, end_) holds bytes read but not returned
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace zio::io
