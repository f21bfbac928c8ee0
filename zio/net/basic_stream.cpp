#include <zio/net/basic_stream.hpp>

#include <zio/detail/executor.hpp>
#include <zio/detail/poller.hpp>
#include <zio/detail/socket_ops.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

namespace zio::net {

namespace {

// Reads of at most this many bytes go through a stack buffer one byte larger (read_some_list).
constexpr std::size_t probe_limit = 512;

// The system calls themselves, out of line because errno is a thread-local and a fiber may
// resume on another thread (DESIGN.md, "TLS caching across migration"). One buffer takes
// recv/send, which skip the kernel's msghdr and iovec copies (about 5% of the echo
// benchmark's kernel time went to them under sendmsg/recvmsg).
template <typename Buffer>
std::size_t to_iovecs(const detail::BufferList<Buffer>& buffers, iovec (&iov)[detail::MutableBufferList::max_buffers]) {
  std::size_t count = 0;
  for (const Buffer& b : buffers) iov[count++] = {const_cast<void*>(static_cast<const void*>(b.data())), b.size()};
  return count;
}

std::size_t transferred(ssize_t n, error_code& ec) noexcept {
  if (n < 0) {
    ec.assign(errno, boost::system::system_category());
    return 0;
  }
  ec.clear();
  return static_cast<std::size_t>(n);
}

[[gnu::noinline]] std::size_t receive(int fd, iovec* iov, std::size_t count, error_code& ec) noexcept {
  ssize_t n;
  do {
    if (count == 1) {
      n = ::recv(fd, iov[0].iov_base, iov[0].iov_len, 0);
    } else {
      msghdr message{};
      message.msg_iov = iov;
      message.msg_iovlen = count;
      n = ::recvmsg(fd, &message, 0);
    }
  } while (n < 0 && errno == EINTR);
  const std::size_t got = transferred(n, ec);
  if (n == 0) ec = boost::asio::error::eof;  // callers never ask for zero bytes
  return got;
}

// Copies what a probing read got into the caller's buffers; returns `n`.
std::size_t scatter(const unsigned char* from, std::size_t n, const iovec* iov, std::size_t count) noexcept {
  std::size_t left = n;
  for (std::size_t i = 0; i < count && left > 0; ++i) {
    const std::size_t part = std::min(left, iov[i].iov_len);
    std::memcpy(iov[i].iov_base, from, part);
    from += part;
    left -= part;
  }
  return n;
}

[[gnu::noinline]] std::size_t send(int fd, const detail::ConstBufferList& buffers, error_code& ec) noexcept {
  ssize_t n;
  do {
    if (buffers.count() == 1) {
      n = ::send(fd, buffers.begin()->data(), buffers.begin()->size(), MSG_NOSIGNAL);
    } else {
      iovec iov[detail::ConstBufferList::max_buffers];
      msghdr message{};
      message.msg_iov = iov;
      message.msg_iovlen = to_iovecs(buffers, iov);
      n = ::sendmsg(fd, &message, MSG_NOSIGNAL);
    }
  } while (n < 0 && errno == EINTR);
  return transferred(n, ec);
}

}  // namespace

// Reads and writes call the kernel themselves and wait on the executor's Poller (see
// zio/detail/poller.hpp), not on Asio's reactor: a read that has to wait costs no failing
// recv when the previous read showed the socket drained.

template <typename Protocol>
detail::Readiness* BasicStream<Protocol>::readiness(error_code& ec) noexcept {
  detail::Readiness* const marker = detail::Readiness::registering();
  detail::Readiness* readiness = readiness_.load(std::memory_order_acquire);
  for (;;) {
    if (readiness && readiness != marker) return readiness;
    if (!readiness) {
      if (readiness_.compare_exchange_weak(readiness, marker, std::memory_order_acquire)) {
        readiness = detail::Executor::current()->poller().add(socket_.native_handle(), ec);
        readiness_.store(readiness, std::memory_order_release);  // nullptr after a failure: retried
        return readiness;
      }
      continue;  // the failed exchange reloaded `readiness`
    }
    // The stream's other direction is registering it, a system call away: let it finish.
    detail::TaskBase::current()->yield_now();
    readiness = readiness_.load(std::memory_order_acquire);
  }
}

template <typename Protocol>
std::size_t BasicStream<Protocol>::read_some_list(const detail::MutableBufferList& buffers, error_code& ec) {
  if ((ec = detail::enter_fiber_call("zio::net stream read_some"))) return 0;
  const std::size_t wanted = buffers.total_size();
  if (wanted == 0) return 0;
  if (!socket_.is_open()) {  // closed: its readiness record would only say "aborted"
    ec = boost::asio::error::bad_descriptor;
    return 0;
  }
  if (deferred_read_error_) {
    ec = std::exchange(deferred_read_error_, {});
    return 0;
  }
  std::size_t got = 0;
  if (has_read_ahead_) {  // the byte an earlier read took beyond what it returned comes first
    *static_cast<unsigned char*>(buffers.begin()->data()) = read_ahead_;
    has_read_ahead_ = false;
    got = 1;
    if (wanted == 1) return 1;
  }
  // A small read asks the kernel for one byte more than it wants, through a buffer on the
  // stack: when that byte stays empty, the read emptied the socket, and the next read waits
  // for the kernel's next edge instead of trying and failing first. (A read that fills the
  // caller's buffers exactly would otherwise say nothing either way.) A large read goes
  // straight into the caller's buffers; a failing attempt is a small cost next to it.
  unsigned char bounce[probe_limit + 1];
  iovec iov[detail::MutableBufferList::max_buffers];
  std::size_t count = 0;
  std::size_t room = 0;
  std::size_t skip = got;
  for (const boost::asio::mutable_buffer& b : buffers) {
    const std::size_t from = std::min(skip, b.size());
    skip -= from;
    if (from == b.size()) continue;
    iov[count++] = {static_cast<char*>(b.data()) + from, b.size() - from};
    room += b.size() - from;
  }
  const bool probing = room <= probe_limit;
  iovec bounce_iov{bounce, room + 1};
  const std::size_t capacity = probing ? room + 1 : room;

  const int fd = socket_.native_handle();
  detail::Readiness* ready = readiness_.load(std::memory_order_acquire);  // none: never waited, so just try
  if (ready == detail::Readiness::registering()) ready = nullptr;
  std::optional<IoDeadline::Clock::time_point> deadline;
  bool deadline_known = false;
  for (;;) {
    detail::Readiness::Snapshot seen{};
    if (ready) {
      seen = ready->snapshot();
      if (!seen.ready(detail::Interest::read)) {
        if (got) return got;
        if (!deadline_known) {
          deadline = read_limit_.for_call();
          deadline_known = true;
        }
        if ((ec = ready->wait(detail::Interest::read, deadline ? &*deadline : nullptr))) return 0;
        continue;
      }
    }
    std::size_t n = probing ? receive(fd, &bounce_iov, 1, ec) : receive(fd, iov, count, ec);
    if (detail::would_block(ec)) {
      if (ready) ready->clear(detail::Interest::read, seen);
      if (got) {
        ec.clear();
        return got;
      }
      if (!ready && !(ready = readiness(ec))) return 0;
      continue;
    }
    if (ec) {  // eof or a failure: after a byte read ahead, reported by the next call
      if (got) deferred_read_error_ = std::exchange(ec, {});
      return got;
    }
    if (probing) n = scatter(bounce, n, iov, count);
    if (n > room) {  // the extra byte came too: more may be waiting
      read_ahead_ = bounce[room];
      has_read_ahead_ = true;
      n = room;
    } else if (n < capacity && ready && !seen.read_closed()) {
      // Drained. (After the peer's FIN every read answers at once: never cleared then.)
      ready->clear(detail::Interest::read, seen);
    }
    return got + n;
  }
}

template <typename Protocol>
std::size_t BasicStream<Protocol>::write_some_list(const detail::ConstBufferList& buffers, error_code& ec) {
  if ((ec = detail::enter_fiber_call("zio::net stream write_some"))) return 0;
  if (buffers.total_size() == 0) return 0;
  if (!socket_.is_open()) {
    ec = boost::asio::error::bad_descriptor;
    return 0;
  }
  // Writes rarely wait: always try first, whatever the readiness says.
  std::size_t n = send(socket_.native_handle(), buffers, ec);
  if (!detail::would_block(ec)) return n;
  detail::Readiness* ready = readiness(ec);
  if (!ready) return 0;
  const auto deadline = write_limit_.for_call();
  for (;;) {
    const detail::Readiness::Snapshot seen = ready->snapshot();
    if (seen.ready(detail::Interest::write)) {
      n = send(socket_.native_handle(), buffers, ec);
      if (!detail::would_block(ec)) return n;
      ready->clear(detail::Interest::write, seen);
      continue;
    }
    if ((ec = ready->wait(detail::Interest::write, deadline ? &*deadline : nullptr))) return 0;
  }
}

template <typename Protocol>
std::size_t BasicStream<Protocol>::read_exact(boost::asio::mutable_buffer buffer, error_code& ec) {
  std::size_t done = 0;
  ec.clear();
  while (done < buffer.size() && !ec) done += read_some(buffer + done, ec);
  return done;
}

template <typename Protocol>
void BasicStream<Protocol>::read_exact(boost::asio::mutable_buffer buffer) {
  error_code ec;
  read_exact(buffer, ec);
  if (ec) throw_error(ec, "read_exact");
}

template <typename Protocol>
std::size_t BasicStream<Protocol>::write_all(boost::asio::const_buffer buffer, error_code& ec) {
  std::size_t done = 0;
  ec.clear();
  while (done < buffer.size() && !ec) done += write_some(buffer + done, ec);
  return done;
}

template <typename Protocol>
void BasicStream<Protocol>::write_all(boost::asio::const_buffer buffer) {
  error_code ec;
  write_all(buffer, ec);
  if (ec) throw_error(ec, "write_all");
}

template <typename Protocol>
void BasicStream<Protocol>::shutdown(Shutdown what, error_code& ec) noexcept {
  using Base = boost::asio::socket_base;
  const auto how = what == Shutdown::read ? Base::shutdown_receive
                   : what == Shutdown::write ? Base::shutdown_send
                                             : Base::shutdown_both;
  socket_.shutdown(how, ec);
}

template <typename Protocol>
void BasicStream<Protocol>::shutdown(Shutdown what) {
  error_code ec;
  shutdown(what, ec);
  if (ec) throw_error(ec, "shutdown");
}



template class BasicStream<boost::asio::ip::tcp>;
template class BasicStream<boost::asio::local::stream_protocol>;

}  // namespace zio::net

namespace zio::detail {

template <typename Protocol>
void teardown_stream(net::BasicStream<Protocol>& stream, error_code& ec) {
  stream.shutdown(net::Shutdown::write, ec);
  if (ec == boost::asio::error::not_connected) ec.clear();  // the peer already closed
  // Wait for the peer's close (eof) so it sees a clean shutdown, not a reset.
  char discard[2048];
  while (!ec) stream.read_some(boost::asio::buffer(discard), ec);
  if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) ec.clear();
  error_code ignored;
  stream.close(ignored);
}

template void teardown_stream(net::BasicStream<boost::asio::ip::tcp>&, error_code&);
template void teardown_stream(net::BasicStream<boost::asio::local::stream_protocol>&, error_code&);

}  // namespace zio::detail
