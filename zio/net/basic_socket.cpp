#include <zio/net/basic_socket.hpp>

#include <zio/detail/poller.hpp>

#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace zio::net {
namespace {

/// The zio type each protocol's socket stands for, for error messages.
template <typename Protocol>
constexpr const char* type_name() {
  if constexpr (std::is_same_v<Protocol, boost::asio::ip::tcp>) {
    return "zio::net::TcpStream";
  } else if constexpr (std::is_same_v<Protocol, boost::asio::local::stream_protocol>) {
    return "zio::net::UnixStream";
  } else if constexpr (std::is_same_v<Protocol, boost::asio::ip::udp>) {
    return "zio::net::UdpSocket";
  } else {
    return "zio::net::UnixDatagram";
  }
}

// One turn of waiting for another thread that is a few instructions or one system call
// from done: spin briefly, then give up the CPU in case that thread was preempted.
void wait_a_moment(unsigned turn) noexcept {
  if (turn < 64) {
    __builtin_ia32_pause();
  } else {
    std::this_thread::yield();
  }
}

}  // namespace

template <typename Protocol>
BasicSocket<Protocol>::BasicSocket(socket_type socket) : socket_(std::move(socket)) {
  if (socket_.is_open()) socket_.non_blocking(true);
}

// Moves happen while nobody uses either socket: the flags move along, the count is zero.
template <typename Protocol>
BasicSocket<Protocol>::BasicSocket(BasicSocket&& other) noexcept
    : readiness_(other.readiness_.exchange(nullptr, std::memory_order_relaxed)),
      socket_(std::move(other.socket_)),
      uses_(other.uses_.exchange(0, std::memory_order_relaxed)) {}

template <typename Protocol>
BasicSocket<Protocol>& BasicSocket<Protocol>::operator=(BasicSocket&& other) noexcept {
  if (this != &other) {
    release_readiness();  // before the old descriptor closes
    socket_ = std::move(other.socket_);
    readiness_.store(other.readiness_.exchange(nullptr, std::memory_order_relaxed), std::memory_order_relaxed);
    uses_.store(other.uses_.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
  }
  return *this;
}

template <typename Protocol>
BasicSocket<Protocol>::~BasicSocket() {
  wait_for_close_to_finish();
  release_readiness();
}

template <typename Protocol>
void BasicSocket<Protocol>::wait_for_close_to_finish() const noexcept {
  // A fiber that owns the stream may be woken by a close() on another thread and destroy the
  // stream while that close() is still finishing (it runs without suspending: a short wait).
  for (unsigned turn = 0;; ++turn) {
    const std::uint32_t state = uses_.load(std::memory_order_acquire);
    if (state < use_unit && ((state & closing) == 0 || (state & close_done) != 0)) return;
    wait_a_moment(turn);
  }
}

template <typename Protocol>
void BasicSocket<Protocol>::release_readiness() noexcept {
  detail::Readiness* readiness = readiness_.exchange(nullptr, std::memory_order_acq_rel);
  if (readiness && readiness != detail::Readiness::registering() && readiness != detail::Readiness::closed()) {
    detail::Readiness::release(readiness, socket_.native_handle(), socket_.is_open());
  }
}

template <typename Protocol>
void BasicSocket<Protocol>::close_if_last(std::uint32_t now, error_code* ec) const noexcept {
  if (now >= use_unit) return;  // other uses are still on their way out: the last closes
  // The socket is const only to the calls that use it.
  if ((uses_.fetch_or(close_claimed, std::memory_order_acq_rel) & close_claimed) != 0) return;
  error_code ignored;  // a use's own close: nobody is left to report it to
  const_cast<socket_type&>(socket_).close(ec ? *ec : ignored);
  uses_.fetch_or(close_done, std::memory_order_release);
}

template <typename Protocol>
void BasicSocket<Protocol>::stop_readiness() noexcept {
  // A stream's first wait registers it with its executor's Poller: the slot holds the
  // `registering` marker for the length of one epoll_ctl, on a thread that does not suspend
  // meanwhile, so wait it out. Skipping that wait let the registration finish after the
  // close, and its waiter slept forever (issue 17, bug 2).
  detail::Readiness* readiness = readiness_.load(std::memory_order_acquire);
  for (unsigned turn = 0;; ++turn) {
    if (readiness == detail::Readiness::registering()) {
      wait_a_moment(turn);
      readiness = readiness_.load(std::memory_order_acquire);
    } else if (!readiness) {
      // Never registered: from now on no wait registers it (the first one would find the
      // marker and return operation_aborted).
      if (readiness_.compare_exchange_weak(readiness, detail::Readiness::closed(), std::memory_order_acq_rel)) return;
    } else {
      // Kept until the socket dies: a fiber woken from a wait here still looks at it.
      if (readiness != detail::Readiness::closed()) readiness->stop(socket_.native_handle(), socket_.is_open());
      return;
    }
  }
}

template <typename Protocol>
void BasicSocket<Protocol>::throw_error(const error_code& ec, const char* operation) {
  const std::string what = std::string(type_name<Protocol>()) + "::" + operation;
  detail::throw_error(ec, what.c_str());
}

template <typename Protocol>
void BasicSocket<Protocol>::close(error_code& ec) noexcept {
  ec.clear();
  // Set `closing` and count this call as a use in one step, so that nobody closes the
  // descriptor while we still look at it below.
  std::uint32_t state = uses_.load(std::memory_order_relaxed);
  do {
    if ((state & closing) != 0) return;  // closed already, or closing on another thread
  } while (!uses_.compare_exchange_weak(state, (state | closing) + use_unit, std::memory_order_acq_rel,
                                         std::memory_order_relaxed));
  stop_readiness();  // uses waiting for readiness return now
  // With other uses left, the last of them closes the descriptor: they are on their way out.
  close_if_last(uses_.fetch_sub(use_unit, std::memory_order_acq_rel) - use_unit, &ec);
}

template <typename Protocol>
void BasicSocket<Protocol>::close() {
  error_code ec;
  close(ec);
  if (ec) throw_error(ec, "close");
}

template class BasicSocket<boost::asio::ip::tcp>;
template class BasicSocket<boost::asio::local::stream_protocol>;
template class BasicSocket<boost::asio::ip::udp>;
template class BasicSocket<boost::asio::local::datagram_protocol>;

}  // namespace zio::net
