// The epoll floor: the echo benchmark (benchmarks/README.md) with no runtime at all, the practical
// limit for one reactor thread. Only `echo 1`; everything else is UNSUPPORTED.
//
// Design
//
// One thread, one epoll instance, plain non-blocking sockets. The 10 client connections and the
// 10 server connections are state machines driven by the same loop, so every message costs the
// four system calls that cannot be avoided plus a share of one epoll_wait:
//
//   1. client send(64)          3. server send(what it read)
//   2. server recv(4096)        4. client recv(64 - got)
//
// Level-triggered, EPOLLIN only. With level triggering a socket is read once per readiness report
// and a short read needs no confirming recv() that returns EAGAIN (edge triggering would, strictly,
// require reading until EAGAIN: one wasted call per message); any byte left unread simply reports
// again on the next epoll_wait. Writes are never polled for: with one 64-byte message in flight per
// connection a send always fits the socket buffer. Should one ever be partial (it would take a
// pathological buffer size), the connection switches to EPOLLOUT until its backlog is flushed,
// and a server connection stops reading meanwhile, so no byte is ever dropped.
//
// Connections are set up (connect, accept) before the clock starts, as the README puts listener
// set-up outside the timing; the timed part starts with every client's first send.
#include "contract.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail_errno(const char* what) { peers::fail(std::string(what) + ": " + std::strerror(errno)); }

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) fail_errno("fcntl(O_NONBLOCK)");
}

// One end of one connection. `pending` holds bytes accepted for sending that the kernel has not
// taken yet (normally none: see the design note on partial writes).
struct Conn {
  int fd = -1;
  bool is_client = false;
  int client = 0;  // clients: their index, which seeds their messages
  long round = 0;  // clients: messages completed
  std::size_t got = 0;  // clients: bytes of the current reply received so far
  std::array<unsigned char, peers::echo_message_size> sent{};
  std::array<unsigned char, peers::echo_message_size> reply{};
  std::vector<unsigned char> pending;  // unsent bytes; non-empty only after a partial send
};

class EchoLoop {
 public:
  EchoLoop(long rounds) : rounds_(rounds) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) fail_errno("epoll_create1");
  }

  ~EchoLoop() {
    for (auto& c : conns_) ::close(c.fd);
    ::close(epfd_);
  }

  // Listener on 127.0.0.1 port 0, 10 blocking connects, 10 accepts; everything then turns
  // non-blocking and joins the epoll set. Not timed.
  void connect_all() {
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) fail_errno("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) fail_errno("bind");
    if (::listen(listener, peers::echo_clients) < 0) fail_errno("listen");
    socklen_t len = sizeof addr;
    if (::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) < 0) fail_errno("getsockname");

    conns_.resize(2 * peers::echo_clients);
    for (int i = 0; i < peers::echo_clients; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) fail_errno("socket");
      // Loopback connects complete in the kernel's backlog before accept() runs.
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) fail_errno("connect");
      int one = 1;
      if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) fail_errno("TCP_NODELAY");
      conns_[i].fd = fd;
      conns_[i].is_client = true;
      conns_[i].client = i;
    }
    for (int i = 0; i < peers::echo_clients; ++i) {
      int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) fail_errno("accept4");
      conns_[peers::echo_clients + i].fd = fd;
    }
    ::close(listener);
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      set_nonblocking(conns_[i].fd);
      watch(i, EPOLL_CTL_ADD, EPOLLIN);
    }
  }

  // The timed part: every client sends its first message, then the loop runs until every client
  // has completed its rounds.
  void run() {
    for (int i = 0; i < peers::echo_clients; ++i) send_next(i);
    std::array<epoll_event, 64> events;
    while (clients_done_ < peers::echo_clients) {
      int k = ::epoll_wait(epfd_, events.data(), int(events.size()), -1);
      if (k < 0) {
        if (errno == EINTR) continue;
        fail_errno("epoll_wait");
      }
      for (int e = 0; e < k; ++e) {
        std::size_t index = events[e].data.u64;
        std::uint32_t what = events[e].events;
        if (what & EPOLLOUT) flush(index);
        if (what & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          if (conns_[index].is_client) {
            client_readable(index);
          } else {
            server_readable(index);
          }
        }
      }
    }
  }

 private:
  void watch(std::size_t index, int op, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = index;
    if (::epoll_ctl(epfd_, op, conns_[index].fd, &ev) < 0) fail_errno("epoll_ctl");
  }

  // Sends [data, data + size) on connection `index`; whatever the kernel does not take waits in
  // `pending` for EPOLLOUT.
  void send_all(std::size_t index, const unsigned char* data, std::size_t size) {
    Conn& c = conns_[index];
    if (!c.pending.empty()) {  // already backlogged: keep the order
      c.pending.insert(c.pending.end(), data, data + size);
      return;
    }
    ssize_t w = ::send(c.fd, data, size, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) fail_errno("send");
      w = 0;
    }
    if (std::size_t(w) < size) {
      c.pending.assign(data + w, data + size);
      // A server connection stops reading while backlogged; a client keeps reading (its reply
      // cannot come before the message has gone, but an error or hang-up may).
      watch(index, EPOLL_CTL_MOD, c.is_client ? EPOLLIN | EPOLLOUT : EPOLLOUT);
    }
  }

  void flush(std::size_t index) {
    Conn& c = conns_[index];
    if (c.pending.empty()) return;
    ssize_t w = ::send(c.fd, c.pending.data(), c.pending.size(), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      fail_errno("send");
    }
    c.pending.erase(c.pending.begin(), c.pending.begin() + w);
    if (c.pending.empty()) watch(index, EPOLL_CTL_MOD, EPOLLIN);
  }

  void send_next(std::size_t index) {
    Conn& c = conns_[index];
    peers::fill_echo_message(c.sent.data(), c.client, c.round);
    c.got = 0;
    send_all(index, c.sent.data(), c.sent.size());
  }

  void client_readable(std::size_t index) {
    Conn& c = conns_[index];
    ssize_t r = ::recv(c.fd, c.reply.data() + c.got, c.reply.size() - c.got, 0);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      fail_errno("client recv");
    }
    if (r == 0) peers::fail("client " + std::to_string(c.client) + ": server closed the connection");
    c.got += std::size_t(r);
    if (c.got < c.reply.size()) return;  // the rest reports again (level-triggered)
    peers::check_echo_reply(c.sent.data(), c.reply.data(), c.client, c.round);
    if (++c.round == rounds_) {
      ++clients_done_;
      watch(index, EPOLL_CTL_DEL, 0);
    } else {
      send_next(index);
    }
  }

  void server_readable(std::size_t index) {
    Conn& c = conns_[index];
    if (!c.pending.empty()) return;  // backpressure: read again once the backlog is flushed
    ssize_t r = ::recv(c.fd, buffer_.data(), buffer_.size(), 0);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      fail_errno("server recv");
    }
    if (r == 0) {  // a client hung up early: only after the run, which this loop never reaches
      watch(index, EPOLL_CTL_DEL, 0);
      return;
    }
    send_all(index, buffer_.data(), std::size_t(r));
  }

  long rounds_;
  int epfd_ = -1;
  int clients_done_ = 0;
  std::vector<Conn> conns_;  // [0, clients): client ends; [clients, 2 * clients): server ends
  std::array<unsigned char, peers::echo_server_buffer> buffer_{};  // the server's read buffer
};

}  // namespace

int main(int argc, char** argv) {
  peers::Options o = peers::parse_options(argc, argv);
  if (o.benchmark != "echo") return peers::unsupported("the epoll floor measures echo only");
  if (o.threads != 1) return peers::unsupported("the epoll floor is one reactor thread");

  EchoLoop loop(o.n);
  loop.connect_all();
  peers::Stopwatch watch;
  loop.run();
  double seconds = watch.seconds();
  return peers::print_result(double(o.n) * peers::echo_clients / seconds, "msg/s");
}
