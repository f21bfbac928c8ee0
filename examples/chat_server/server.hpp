#pragma once
// The chat server: listeners, the room, one session per client, orderly shutdown.
#include "room.hpp"
#include "session.hpp"

#include <zio/net/tcp.hpp>
#include <zio/runtime/join_handle.hpp>
#include <zio/sync/condition.hpp>
#include <zio/sync/mutex.hpp>
#include <zio/sync/reset_event.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace chat {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7000;            // 0: any free port (see Server::port)
  std::optional<std::uint16_t> http_port = 7001;  // browser page and WebSocket; nullopt: off
  std::size_t max_clients = 1000;
  std::size_t max_line = 4096;
  /// A client whose socket takes no data for this long is disconnected.
  std::chrono::milliseconds write_timeout{5000};
  /// Lines the room keeps for slow readers before they start missing some.
  std::size_t backlog = 1024;
  SessionLimits limits;
};

class Server {
 public:
  /// Binds the listeners (fiber only). Throws system_error naming the address on failure.
  explicit Server(ServerOptions options);

  std::uint16_t port() const;
  std::optional<std::uint16_t> http_port() const;

  /// Serves until stop(): accepts clients and runs their sessions. After stop(), every client
  /// is sent "* server shutting down" and disconnected; returns once all sessions ended
  /// (sessions still running after `grace` are cancelled).
  void run(std::chrono::milliseconds grace = std::chrono::milliseconds(1500));

  /// Begins the shutdown (any fiber).
  void stop();

 private:
  void accept_tcp();
  void accept_http();
  /// Runs `session` in a fiber tracked for shutdown.
  template <typename F>
  void start_session(F session);
  void cancel_sessions();

  ServerOptions options_;
  Room room_;
  zio::net::TcpListener listener_;
  std::optional<zio::net::TcpListener> http_listener_;
  zio::ResetEvent stopping_;

  zio::Mutex sessions_mutex_;
  zio::Condition sessions_drained_;
  std::map<std::uint64_t, zio::JoinHandle<void>> sessions_;  // guarded by sessions_mutex_
  std::uint64_t next_session_ = 0;                           // guarded by sessions_mutex_
};

}  // namespace chat
