#include <zio/net/basic_stream.hpp>

#include <zio/detail/executor.hpp>
#include <zio/detail/poller.hpp>
#include <zio/detail/socket_ops.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <optional>
#include <utility>

namespace zio::net {

namespace {

// Reads of at most this many bytes go through a stack buffer one byte larger (read_some_list).
constexpr std::size_t probe_limit = 512;

enum class Direction { receive, send };

// The system call itself, out of line because errno is a thread-local and a fiber may resume
// on another thread (DESIGN.md, "TLS caching across migration"). One buffer takes recv/send,
// which skip the kernel's msghdr and iovec copies (about 5% of the echo benchmark's kernel
// time went to them under recvmsg/sendmsg).
[[gnu::noinline]] std::size_t transfer(Direction direction, int fd, iovec* iov, std::size_t count,
                                       error_code& ec) noexcept {
  const bool receiving = direction == Direction::receive;
  ssize_t n;
  do {
    if (count == 1) {
      n = receiving ? ::recv(fd, iov[0].iov_base, iov[0].iov_len, 0)
                    : ::send(fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
    } else {
      msghdr message{};
      message.msg_iov = iov;
      message.msg_iovlen = count;
      n = receiving ? ::recvmsg(fd, &message, 0) : ::sendmsg(fd, &message, MSG_NOSIGNAL);
    }
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    ec.assign(errno, boost::system::system_category());
    return 0;
  }
  if (n == 0 && receiving) {  // callers never ask for zero bytes
    ec = boost::asio::error::eof;
    return 0;
  }
  ec.clear();
  return static_cast<std::size_t>(n);
}

struct Iovecs {
  std::size_t count = 0;
  std::size_t bytes = 0;
};

// `buffers` as iovecs, without their first `skip` bytes (and without empty buffers).
template <typename Buffer>
Iovecs to_iovecs(const detail::BufferList<Buffer>& buffers, std::size_t skip,
                 iovec (&iov)[detail::BufferList<Buffer>::max_buffers]) noexcept {
  Iovecs out;
  for (const Buffer& b : buffers) {
    const std::size_t from = std::min(skip, b.size());
    skip -= from;
    if (from == b.size()) continue;
    const auto* data = static_cast<const char*>(b.data()) + from;
    iov[out.count++] = {const_cast<char*>(data), b.size() - from};
    out.bytes += b.size() - from;
  }
  return out;
}

// Copies the first `n` bytes a probing read got into the caller's buffers.
void scatter(const unsigned char* from, std::size_t n, const iovec* iov, std::size_t count) noexcept {
  for (std::size_t i = 0; i < count && n > 0; ++i) {
    const std::size_t part = std::min(n, iov[i].iov_len);
    std::memcpy(iov[i].iov_base, from, part);
    from += part;
    n -= part;
  }
}

// The stream's readiness record in `slot`, registered with the current executor's Poller if
// this is its first wait; nullptr with `ec` set when epoll refuses (a later wait retries) or
// when the stream was closed meanwhile (operation_aborted).
detail::Readiness* registered(std::atomic<detail::Readiness*>& slot, int fd, error_code& ec) noexcept {
  detail::Readiness* const marker = detail::Readiness::registering();
  detail::Readiness* readiness = slot.load(std::memory_order_acquire);
  for (;;) {
    if (readiness == detail::Readiness::closed()) {
      ec = boost::asio::error::operation_aborted;
      return nullptr;
    }
    if (readiness && readiness != marker) return readiness;
    if (!readiness) {
      if (slot.compare_exchange_weak(readiness, marker, std::memory_order_acquire)) {
        readiness = detail::Executor::current()->poller().add(fd, ec);
        slot.store(readiness, std::memory_order_release);
        return readiness;
      }
      continue;  // the failed exchange reloaded `readiness`
    }
    // The stream's other direction is registering it, a system call away: let it finish.
    detail::TaskBase::current()->yield_now();
    readiness = slot.load(std::memory_order_acquire);
  }
}

// What one attempt at the kernel did: the bytes it moved, and whether it left the socket
// empty, so that the next attempt waits for the kernel's next edge instead of failing first.
struct Attempted {
  std::size_t bytes;
  bool drained;
};

// One call's attempts in one direction. Calls `attempt(ec)` at once while the stream has no
// readiness record (it never waited) or while the record says `interest` is ready; when an
// attempt would block, forgets that readiness (registering the stream on its first wait) and
// waits for the next edge, until `limit`. With `may_wait` false it returns would_block rather
// than wait. Returns the attempt's bytes; 0 with `ec` set when the wait failed.
template <typename Attempt>
std::size_t when_ready(std::atomic<detail::Readiness*>& slot, int fd, detail::Interest interest,
                       const IoDeadline& limit, bool may_wait, Attempt attempt, error_code& ec) {
  detail::Readiness* ready = slot.load(std::memory_order_acquire);
  if (ready == detail::Readiness::closed()) {  // closed since this call began
    ec = boost::asio::error::operation_aborted;
    return 0;
  }
  if (ready == detail::Readiness::registering()) ready = nullptr;
  std::optional<IoDeadline::Clock::time_point> deadline;  // taken at the first wait
  bool deadline_known = false;
  for (;;) {
    detail::Readiness::Snapshot seen{};
    if (ready) {
      seen = ready->snapshot();
      if (!seen.ready(interest)) {
        if (!may_wait) {
          ec = boost::asio::error::would_block;
          return 0;
        }
        if (!deadline_known) {
          deadline = limit.for_call();
          deadline_known = true;
        }
        if ((ec = ready->wait(interest, deadline ? &*deadline : nullptr))) return 0;
        continue;
      }
    }
    const Attempted done = attempt(ec);
    if (!detail::would_block(ec)) {
      // After the peer's FIN (or a failure) every attempt answers at once: never cleared then.
      if (!ec && done.drained && ready && !seen.read_closed()) ready->clear(interest, seen);
      return done.bytes;
    }
    if (ready) {
      ready->clear(interest, seen);
    } else if (!(ready = registered(slot, fd, ec))) {
      return 0;
    }
  }
}

}  // namespace

// Reads and writes call the kernel themselves and wait on the executor's Poller (see
// zio/detail/poller.hpp), not on Asio's reactor: a read that has to wait costs no failing
// recv when the previous read showed the socket drained.

template <typename Protocol>
std::size_t BasicStream<Protocol>::read_some_list(const detail::MutableBufferList& buffers, error_code& ec) {
  if ((ec = detail::enter_fiber_call("zio::net stream read_some"))) return 0;
  const std::size_t wanted = buffers.total_size();
  if (wanted == 0) return 0;
  const typename BasicSocket<Protocol>::Use use(*this);  // a close() now waits for our return
  if (!use || !socket_.is_open()) {  // closed: its readiness record would only say "aborted"
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
  iovec iov[detail::MutableBufferList::max_buffers];
  const Iovecs target = to_iovecs(buffers, got, iov);
  unsigned char bounce[probe_limit + 1];
  iovec bounce_iov{bounce, target.bytes + 1};
  const int fd = socket_.native_handle();
  const auto attempt = [&](error_code& attempt_ec) -> Attempted {
    if (target.bytes > probe_limit) {
      const std::size_t n = transfer(Direction::receive, fd, iov, target.count, attempt_ec);
      return {n, n < target.bytes};
    }
    const std::size_t n = transfer(Direction::receive, fd, &bounce_iov, 1, attempt_ec);
    scatter(bounce, std::min(n, target.bytes), iov, target.count);
    if (n <= target.bytes) return {n, true};
    read_ahead_ = bounce[target.bytes];  // the extra byte came too: more may be waiting
    has_read_ahead_ = true;
    return {target.bytes, false};
  };
  const std::size_t n = when_ready(readiness_, fd, detail::Interest::read, read_limit_, got == 0, attempt, ec);
  if (got == 0) return n;
  // After the byte read ahead the call takes what else is there without waiting; an error
  // (eof, a reset) is reported by the next call.
  if (detail::would_block(ec)) {
    ec.clear();
  } else if (ec) {
    deferred_read_error_ = std::exchange(ec, {});
  }
  return got + n;
}

template <typename Protocol>
std::size_t BasicStream<Protocol>::write_some_list(const detail::ConstBufferList& buffers, error_code& ec) {
  if ((ec = detail::enter_fiber_call("zio::net stream write_some"))) return 0;
  if (buffers.total_size() == 0) return 0;
  const typename BasicSocket<Protocol>::Use use(*this);
  if (!use || !socket_.is_open()) {
    ec = boost::asio::error::bad_descriptor;
    return 0;
  }
  iovec iov[detail::ConstBufferList::max_buffers];
  const Iovecs source = to_iovecs(buffers, 0, iov);
  const int fd = socket_.native_handle();
  const auto attempt = [&](error_code& attempt_ec) -> Attempted {
    return {transfer(Direction::send, fd, iov, source.count, attempt_ec), false};
  };
  // Writes rarely wait: the first attempt ignores what the readiness record says.
  const Attempted first = attempt(ec);
  if (!detail::would_block(ec)) return first.bytes;
  if (!registered(readiness_, fd, ec)) return 0;
  return when_ready(readiness_, fd, detail::Interest::write, write_limit_, true, attempt, ec);
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
  const typename BasicSocket<Protocol>::Use use(*this);
  if (!use) {
    ec = boost::asio::error::bad_descriptor;
    return;
  }
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
