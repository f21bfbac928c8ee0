#pragma once
// Shared steps of zio's socket calls. Internal: included by zio/net's .cpp files only.
//
// Every call has the same shape: entry checks, one attempt of the system call without waiting
// (sockets are in non-blocking mode, so Asio's synchronous call returns would_block instead of
// sleeping the thread), and only then an asynchronous operation awaited with use_fiber.
// Stream reads and writes wait on zio's own readiness tracking instead (detail/poller.hpp),
// and a stream read skips the attempt when the previous one showed the socket drained.
//
// The attempts are out-of-line functions on purpose: the system call reads errno, a
// thread-local, and a fiber may resume on another thread after waiting; an inlined attempt in a
// retry loop around a wait could reuse the first thread's errno address (DESIGN.md, "TLS
// caching across migration").
#include <zio/detail/task.hpp>
#include <zio/io/use_fiber.hpp>
#include <zio/net/io_deadline.hpp>

#include <boost/asio/error.hpp>

namespace zio::detail {

/// Returns `socket` closed when `ec` reports that setting it up (open, bind, connect, accept)
/// failed, so a failed call hands back a closed object rather than a half-made one.
template <typename Socket>
Socket close_on_error(Socket socket, const error_code& ec) noexcept {
  if (ec) {
    error_code ignored;
    socket.close(ignored);
  }
  return socket;
}

inline bool would_block(const error_code& ec) noexcept {
  return ec == boost::asio::error::would_block || ec == boost::asio::error::try_again;
}

/// use_fiber reporting into `ec`, with the call's deadline from `limit`.
inline UseFiber fiber_token(error_code& ec, const net::IoDeadline& limit) noexcept {
  UseFiber token = use_fiber[ec];
  if (auto deadline = limit.for_call()) token = token.until(*deadline);
  return token;
}

}  // namespace zio::detail
