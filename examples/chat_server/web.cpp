#include "web.hpp"

#include "server.hpp"
#include "session.hpp"
#include "web_page.hpp"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <spdlog/spdlog.h>

namespace chat {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

// A chat client in a browser: each WebSocket text message is one line.
//
// Beast's synchronous stream is not meant for a read and a write at the same time. Here a
// read and a write can only interleave where one of them waits for the socket; the session
// serialises its own writes, and browsers do not send pings, so the only write a read makes
// itself is the close reply at the very end.
class WebSocketConnection final : public Connection {
 public:
  WebSocketConnection(websocket::stream<zio::net::TcpStream>& ws, std::size_t max_line, std::string peer)
      : ws_(ws), peer_(std::move(peer)) {
    ws_.read_message_max(max_line);
    ws_.text(true);
  }

  std::optional<std::string> read_line() override {
    beast::flat_buffer buffer;
    zio::error_code ec;
    ws_.read(buffer, ec);
    if (ec == websocket::error::message_too_big) throw LineTooLong();
    if (ec == zio::errc::canceled) throw zio::Canceled("chat: websocket read");
    if (ec) return std::nullopt;
    std::string line = beast::buffers_to_string(buffer.data());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
  }

  void write_line(std::string_view line) override { ws_.write(boost::asio::buffer(line.data(), line.size())); }

  void shutdown() noexcept override {
    zio::error_code ignored;
    ws_.next_layer().shutdown(zio::net::Shutdown::both, ignored);
  }

  std::string peer() const override { return peer_; }

 private:
  websocket::stream<zio::net::TcpStream>& ws_;
  std::string peer_;
};

http::response<http::string_body> page_response(const http::request<http::string_body>& request) {
  const bool found = request.method() == http::verb::get && request.target() == "/";
  http::response<http::string_body> response{found ? http::status::ok : http::status::not_found, request.version()};
  response.set(http::field::content_type, found ? "text/html; charset=utf-8" : "text/plain");
  response.body() = found ? std::string(web_page) : "not found\n";
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

}  // namespace

void serve_http(zio::net::TcpStream stream, Room& room, const ServerOptions& options) {
  zio::error_code ec;
  const std::string peer = stream.peer_address(ec).to_string();
  stream.set_write_timeout(options.write_timeout);
  // A client that opens a connection and sends nothing costs one parked fiber; a request
  // still has to arrive within a bound.
  stream.set_read_timeout(std::chrono::seconds(30));
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    http::read(stream, buffer, request, ec);
    if (ec) return;  // closed, timed out or malformed: nothing to answer
    if (websocket::is_upgrade(request) && request.target() == "/ws") {
      stream.set_read_timeout(std::chrono::steady_clock::duration::zero());
      websocket::stream<zio::net::TcpStream> ws(std::move(stream));
      ws.accept(request, ec);
      if (ec) return;
      spdlog::info("{} joined from a browser", peer);
      WebSocketConnection connection(ws, options.max_line, peer);
      serve(room, connection, options.limits);
      connection.shutdown();
      return;
    }
    http::write(stream, page_response(request), ec);
    if (ec || !request.keep_alive()) return;
  }
}

}  // namespace chat
