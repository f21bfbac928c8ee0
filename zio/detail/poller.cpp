#include <zio/detail/poller.hpp>

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <mutex>
#include <new>
#include <utility>

namespace zio::detail {
namespace {

constexpr std::uint64_t readable = 1;
constexpr std::uint64_t writable = 2;
constexpr std::uint64_t read_closed = 4;  // the peer shut down its side (EPOLLRDHUP, EPOLLHUP)
constexpr std::uint64_t failed = 8;       // EPOLLERR: every call returns the socket's error
constexpr std::uint64_t ready_bits = 0xff;
constexpr std::uint64_t one_event = 0x100;

std::uint64_t bits_of(std::uint32_t events) noexcept {
  std::uint64_t bits = 0;
  if (events & (EPOLLIN | EPOLLPRI)) bits |= readable;
  if (events & EPOLLOUT) bits |= writable;
  if (events & (EPOLLRDHUP | EPOLLHUP)) bits |= read_closed | readable;
  if (events & EPOLLHUP) bits |= writable;
  if (events & EPOLLERR) bits |= failed | readable | writable;
  return bits;
}

std::uint64_t bit_of(Interest interest) noexcept { return interest == Interest::read ? readable : writable; }

error_code last_error() noexcept { return {errno, boost::system::system_category()}; }

}  // namespace

bool Readiness::Snapshot::ready(Interest interest) const noexcept {
  return (value & (bit_of(interest) | failed)) != 0;
}

bool Readiness::Snapshot::read_closed() const noexcept {
  return (value & (detail::read_closed | failed)) != 0;
}

void Readiness::clear(Interest interest, Snapshot seen) noexcept {
  std::uint64_t current = seen.value;
  while (!state_.compare_exchange_weak(current, current & ~bit_of(interest), std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
    // Another direction was cleared meanwhile: retry. An event arrived: keep what it said.
    if ((current & ~ready_bits) != (seen.value & ~ready_bits)) return;
  }
}

error_code Readiness::wait(Interest interest, const std::chrono::steady_clock::time_point* deadline) noexcept {
  std::unique_lock lock(lock_);
  // The event's bits are stored before its poller takes lock_ to wake waiters: checked under
  // lock_, an event is either seen here or finds this waiter queued.
  if (!deregistered_ && !snapshot().ready(interest)) {
    WaitNode node;
    if (error_code ec = wait_in_queue(waiters_[static_cast<int>(interest)], node, lock_, deadline)) return ec;
  }
  if (deregistered_) return boost::asio::error::operation_aborted;
  return {};
}

void Readiness::on_event(std::uint32_t epoll_events) noexcept {
  const std::uint64_t bits = bits_of(epoll_events);
  std::uint64_t current = state_.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    next = (current | bits) + one_event;
  } while (!state_.compare_exchange_weak(current, next, std::memory_order_acq_rel, std::memory_order_relaxed));

  const Snapshot now{next};
  std::lock_guard lock(lock_);
  for (Interest interest : {Interest::read, Interest::write}) {
    if (!now.ready(interest)) continue;
    auto& queue = waiters_[static_cast<int>(interest)];
    while (WaitNode* node = queue.pop_front()) node->notify();
  }
}

void Readiness::stop(int fd, bool fd_still_open) noexcept {
  std::lock_guard lock(lock_);
  if (deregistered_) return;
  deregistered_ = true;
  if (fd_still_open) {
    epoll_event ignored{};
    ::epoll_ctl(poller_.epoll_fd_, EPOLL_CTL_DEL, fd, &ignored);
  }
  for (auto& queue : waiters_) {
    while (WaitNode* node = queue.pop_front()) node->notify();
  }
}

void Readiness::release(Readiness* readiness, int fd, bool fd_still_open) noexcept {
  if (!readiness) return;
  readiness->stop(fd, fd_still_open);
  readiness->poller_.retire(*readiness);
}

Poller::~Poller() {
  free_retired();
  // watcher_ closes epoll_fd_. Readiness records of sockets still open belong to them.
}

Readiness* Poller::add(int fd, error_code& ec) noexcept {
  if (epoll_fd_ < 0) {
    const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) {
      ec = last_error();
      return nullptr;
    }
    watcher_.assign(epoll_fd, ec);
    if (ec) {
      ::close(epoll_fd);
      return nullptr;
    }
    epoll_fd_ = epoll_fd;
    watch();
  }
  auto* readiness = new (std::nothrow) Readiness(*this);
  if (!readiness) {
    ec = make_error_code(boost::system::errc::not_enough_memory);
    return nullptr;
  }
  // Edge-triggered: each edge is delivered once, so a socket costs nothing between its events.
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.ptr = readiness;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    ec = last_error();
    delete readiness;
    return nullptr;
  }
  ec.clear();
  return readiness;
}

void Poller::retire(Readiness& readiness) noexcept {
  // Freed by the next poll that starts after this push: the descriptor left the epoll set
  // before, so no event of that poll can name it.
  Readiness* head = retired_.load(std::memory_order_relaxed);
  do {
    readiness.next_retired_ = head;
  } while (!retired_.compare_exchange_weak(head, &readiness, std::memory_order_release, std::memory_order_relaxed));
}

void Poller::free_retired() noexcept {
  if (!retired_.load(std::memory_order_relaxed)) return;
  for (Readiness* r = retired_.exchange(nullptr, std::memory_order_acquire); r;) {
    delete std::exchange(r, r->next_retired_);
  }
}

bool Poller::poll() noexcept {
  if (epoll_fd_ < 0) return false;
  free_retired();
  epoll_event events[64];
  const int n = ::epoll_wait(epoll_fd_, events, 64, 0);
  for (int i = 0; i < n; ++i) static_cast<Readiness*>(events[i].data.ptr)->on_event(events[i].events);
  return n > 0;
}

void Poller::watch() noexcept {
  try {
    watcher_.async_wait(boost::asio::posix::descriptor_base::wait_read, [this](const error_code& ec) {
      if (ec) return;  // the io_context is shutting down
      poll();
      watch();
    });
  } catch (...) {
    // Out of memory: a parked executor no longer wakes for socket events; a busy one still
    // polls whenever it runs out of tasks.
  }
}

}  // namespace zio::detail
