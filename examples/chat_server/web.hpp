#pragma once
// The browser side of the chat: one HTML page and a WebSocket endpoint, on Boost.Beast's
// synchronous HTTP and WebSocket API running over a zio TCP stream.
#include "room.hpp"

#include <zio/net/tcp.hpp>

namespace chat {

struct ServerOptions;

/// Serves one HTTP connection: GET / returns the page, GET /ws upgrades to a WebSocket whose
/// text messages are chat lines (the browser user joins the room like a TCP client).
void serve_http(zio::net::TcpStream stream, Room& room, const ServerOptions& options);

}  // namespace chat
