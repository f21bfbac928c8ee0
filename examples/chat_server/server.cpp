#include "server.hpp"

#include "tcp_connection.hpp"
#include "web.hpp"

#include <zio/net/address.hpp>
#include <zio/runtime/spawn.hpp>
#include <zio/runtime/this_task.hpp>
#include <zio/runtime/timeout.hpp>

#include <spdlog/spdlog.h>

#include <mutex>

namespace chat {
namespace {

zio::net::Address address_of(const std::string& host, std::uint16_t port) {
  zio::error_code ec;
  auto address = zio::net::Address::parse(host + ":" + std::to_string(port), ec);
  if (!ec) return address;
  return zio::net::Address::parse("[" + host + "]:" + std::to_string(port));  // IPv6 host
}

}  // namespace

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      room_(options_.max_clients, options_.backlog),
      listener_(zio::net::TcpListener::bind(address_of(options_.host, options_.port))) {
  if (options_.http_port) {
    http_listener_.emplace(zio::net::TcpListener::bind(address_of(options_.host, *options_.http_port)));
  }
}

std::uint16_t Server::port() const { return listener_.local_address().port(); }

std::optional<std::uint16_t> Server::http_port() const {
  if (!http_listener_) return std::nullopt;
  return http_listener_->local_address().port();
}

void Server::stop() { stopping_.set(); }

template <typename F>
void Server::start_session(F session) {
  std::lock_guard lock(sessions_mutex_);
  const std::uint64_t id = next_session_++;
  sessions_.emplace(id, zio::spawn([this, id, session = std::move(session)]() mutable {
    struct Unregister {
      Server& server;
      std::uint64_t id;
      ~Unregister() {
        zio::Shield shield;  // runs while the fiber unwinds from a cancel too
        std::lock_guard lock(server.sessions_mutex_);
        server.sessions_.erase(id);  // drops (detaches) this fiber's own handle
        if (server.sessions_.empty()) server.sessions_drained_.notify_all();
      }
    } unregister{*this, id};
    session();
  }));
}

void Server::accept_tcp() {
  for (;;) {
    zio::error_code ec;
    auto accepted = listener_.accept(ec);
    if (ec == zio::errc::canceled) throw zio::Canceled("chat: accept");
    if (ec) {
      // Out of descriptors, or a connection reset before it was accepted: keep serving.
      spdlog::warn("accept failed: {}", ec.message());
      zio::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    spdlog::info("{} connected", accepted.peer.to_string());
    start_session([this, stream = std::move(accepted.stream)]() mutable {
      TcpConnection connection(std::move(stream), options_.max_line, options_.write_timeout);
      serve(room_, connection, options_.limits);
      connection.shutdown();
      spdlog::info("{} disconnected", connection.peer());
    });
  }
}

void Server::accept_http() {
  for (;;) {
    zio::error_code ec;
    auto accepted = http_listener_->accept(ec);
    if (ec == zio::errc::canceled) throw zio::Canceled("chat: accept");
    if (ec) {
      spdlog::warn("http accept failed: {}", ec.message());
      zio::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    start_session([this, stream = std::move(accepted.stream)]() mutable {
      serve_http(std::move(stream), room_, options_);
    });
  }
}

void Server::cancel_sessions() {
  std::lock_guard lock(sessions_mutex_);
  for (auto& [id, handle] : sessions_) handle.cancel();
}

void Server::run(std::chrono::milliseconds grace) {
  auto tcp = zio::spawn([this] { accept_tcp(); });
  std::optional<zio::JoinHandle<void>> http;
  if (http_listener_) http.emplace(zio::spawn([this] { accept_http(); }));
  stopping_.wait();
  spdlog::info("shutting down");
  tcp.cancel();
  if (http) http->cancel();
  tcp.wait();
  if (http) http->wait();
  // Every writer sends this last line, then disconnects its client; readers then end.
  room_.close("* server shutting down");
  const auto deadline = zio::Clock::now() + grace;
  std::unique_lock lock(sessions_mutex_);
  const auto drained = [this] { return sessions_.empty(); };
  if (!sessions_drained_.wait_until(lock, deadline, drained)) {
    lock.unlock();
    cancel_sessions();
    lock.lock();
    sessions_drained_.wait(lock, drained);
  }
}

}  // namespace chat
