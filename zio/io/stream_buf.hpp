#pragma once
/// `zio::io::StreamBuf<Stream>`: a std::streambuf over any synchronous stream, and
/// `zio::io::IoStream<Stream>`: a std::iostream that owns one, so that code written for
/// iostreams runs on a zio socket from a fiber:
///
///     zio::io::IoStream<zio::net::TcpStream&> ios(stream);
///     ios << "HELLO\r\n" << std::flush;
///     std::string line;
///     std::getline(ios, line);
///
/// Errors (how std streams report them, and how zio's cancellation survives them):
///  - The end of the stream makes reads return EOF: eofbit/failbit, as with a file.
///  - Any other error (a reset connection, a broken pipe, Canceled, TimedOut) is thrown by
///    the StreamBuf as the exception the stream's error_code maps to (system_error,
///    zio::Canceled, zio::TimedOut), and recorded in error(). The iostream catches it and
///    sets badbit, and rethrows it only if `exceptions()` includes badbit.
///  - IoStream therefore turns on `exceptions(std::ios::badbit)`: Canceled and I/O errors
///    come out of `getline` and `<<` as themselves. A caller that turns the mask off gets
///    badbit only and reads `rdbuf()->error()`; a swallowed Canceled is thrown again by the
///    fiber's next blocking call (cancellation is sticky), so it is delayed, not lost.
///
/// Reading first flushes pending output (as a tied stream would), so a request written
/// without std::flush cannot deadlock against the reply. The destructor does not flush (it
/// could block or throw): end output with std::flush. Do not set std::ios::unitbuf: the
/// library flushes for it in a destructor, where an exception cannot pass.
///
/// Blocking is the underlying stream's. One fiber or thread at a time, like the stream.
#include <zio/error.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <istream>
#include <ostream>
#include <streambuf>
#include <type_traits>
#include <utility>
#include <vector>

namespace zio::io {

template <typename Stream>
class StreamBuf : public std::streambuf {
 public:
  using next_layer_type = std::remove_reference_t<Stream>;

  /// Wraps `stream` (moved in, or borrowed when Stream is a reference) with get and put
  /// areas of `buffer_size` bytes each (at least 1).
  explicit StreamBuf(Stream stream, std::size_t buffer_size = 4096)
      : stream_(std::forward<Stream>(stream)),
        get_(std::max<std::size_t>(buffer_size, 1)),
        put_(std::max<std::size_t>(buffer_size, 1)) {
    setg(get_.data(), get_.data(), get_.data());
    setp(put_.data(), put_.data() + put_.size());
  }
  StreamBuf(const StreamBuf&) = delete;
  StreamBuf& operator=(const StreamBuf&) = delete;
  /// Does not flush; see the top of this header.
  ~StreamBuf() override = default;

  next_layer_type& next_layer() noexcept { return stream_; }
  /// The last error other than the end of the stream, or none.
  error_code error() const noexcept { return error_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    flush_output();
    const std::size_t n = read(get_.data(), get_.size());
    if (n == 0) return traits_type::eof();
    setg(get_.data(), get_.data(), get_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

  std::streamsize xsgetn(char* s, std::streamsize count) override {
    std::streamsize done = 0;
    while (done < count) {
      const std::streamsize available = egptr() - gptr();
      if (available > 0) {
        const std::streamsize n = std::min(available, count - done);
        std::memcpy(s + done, gptr(), static_cast<std::size_t>(n));
        gbump(static_cast<int>(n));
        done += n;
        continue;
      }
      const std::size_t want = static_cast<std::size_t>(count - done);
      if (want < get_.size()) {
        if (traits_type::eq_int_type(underflow(), traits_type::eof())) break;
        continue;
      }
      // Large reads skip the get area.
      flush_output();
      const std::size_t n = read(s + done, want);
      if (n == 0) break;
      done += static_cast<std::streamsize>(n);
    }
    return done;
  }

  int_type overflow(int_type ch) override {
    flush_output();
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    *pptr() = traits_type::to_char_type(ch);
    pbump(1);
    return ch;
  }

  std::streamsize xsputn(const char* s, std::streamsize count) override {
    const std::size_t size = static_cast<std::size_t>(count);
    if (size <= static_cast<std::size_t>(epptr() - pptr())) {
      std::memcpy(pptr(), s, size);
      pbump(static_cast<int>(count));
      return count;
    }
    flush_output();
    if (size < put_.size()) {
      std::memcpy(pptr(), s, size);
      pbump(static_cast<int>(count));
      return count;
    }
    write(s, size);  // large writes skip the put area
    return count;
  }

  int sync() override {
    flush_output();
    return 0;
  }

 private:
  // Reads once into [data, data + size); 0 at the end of the stream. Throws on errors.
  std::size_t read(char* data, std::size_t size) {
    if constexpr (requires(error_code& ec) { stream_.read_some(boost::asio::mutable_buffer(), ec); }) {
      error_code ec;
      const std::size_t n = stream_.read_some(boost::asio::buffer(data, size), ec);
      if (ec == boost::asio::error::eof) return 0;
      if (ec) fail(ec, "zio::io::StreamBuf: read");
      return n;
    } else {
      return 0;  // a write-only stream reads as empty
    }
  }

  // Writes all of [data, data + size). Throws on errors.
  void write(const char* data, std::size_t size) {
    if constexpr (requires(error_code& ec) { stream_.write_some(boost::asio::const_buffer(), ec); }) {
      while (size > 0) {
        error_code ec;
        const std::size_t n = stream_.write_some(boost::asio::buffer(data, size), ec);
        if (ec) fail(ec, "zio::io::StreamBuf: write");
        if (n == 0) fail(boost::asio::error::broken_pipe, "zio::io::StreamBuf: write");
        data += n;
        size -= n;
      }
    } else {
      fail(boost::asio::error::operation_not_supported, "zio::io::StreamBuf: write to a read-only stream");
    }
  }

  // Writes the put area. On an error the unwritten bytes are dropped (the stream has badbit
  // by then), so a later flush does not repeat half a message.
  void flush_output() {
    const std::size_t pending = static_cast<std::size_t>(pptr() - pbase());
    setp(put_.data(), put_.data() + put_.size());
    if (pending > 0) write(put_.data(), pending);
  }

  [[noreturn]] void fail(const error_code& ec, const char* what) {
    error_ = ec;
    zio::detail::throw_error(ec, what);
  }

  Stream stream_;
  std::vector<char> get_;
  std::vector<char> put_;
  error_code error_;
};

/// A std::iostream owning a StreamBuf<Stream>; see the top of this header for errors.
/// exceptions() starts as std::ios::badbit.
template <typename Stream>
class IoStream : public std::iostream {
 public:
  /// Wraps `stream` (moved in, or borrowed when Stream is a reference).
  explicit IoStream(Stream stream, std::size_t buffer_size = 4096)
      : std::iostream(nullptr), buf_(std::forward<Stream>(stream), buffer_size) {
    rdbuf(&buf_);  // clears the badbit the null buffer set
    exceptions(std::ios::badbit);
  }
  IoStream(const IoStream&) = delete;
  IoStream& operator=(const IoStream&) = delete;

  StreamBuf<Stream>* rdbuf() noexcept { return &buf_; }
  using std::iostream::rdbuf;
  typename StreamBuf<Stream>::next_layer_type& next_layer() noexcept { return buf_.next_layer(); }
  /// The last error other than the end of the stream, or none.
  error_code error() const noexcept { return buf_.error(); }

 private:
  StreamBuf<Stream> buf_;
};

}  // namespace zio::io
