// Standard interfaces: zio streams run Asio's and Beast's synchronous code unchanged.
#include "net/net_support.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using namespace zio;
using zio::test::run_in_runtime;

static_assert(beast::is_sync_read_stream<net::TcpStream>::value);
static_assert(beast::is_sync_write_stream<net::TcpStream>::value);
static_assert(beast::is_sync_stream<net::UnixStream>::value);

TEST_CASE("Beast's synchronous HTTP client and server run on zio streams", "[net][beast]") {
  const std::size_t executors = GENERATE(1, 4);
  run_in_runtime(executors, [] {
    auto listener = net::TcpListener::bind(net::Address::loopback_v4(0));
    auto server = spawn([&listener] {
      auto [stream, peer] = listener.accept();
      beast::flat_buffer buffer;
      for (;;) {
        http::request<http::string_body> request;
        error_code ec;
        http::read(stream, buffer, request, ec);
        if (ec == http::error::end_of_stream) break;
        if (ec) throw system_error(ec);
        http::response<http::string_body> response{http::status::ok, request.version()};
        response.body() = "you asked for " + std::string(request.target());
        response.keep_alive(request.keep_alive());
        response.prepare_payload();
        http::write(stream, response);
      }
      stream.shutdown(net::Shutdown::write);
    });
    auto client = net::TcpStream::connect(listener.local_address());
    beast::flat_buffer buffer;
    for (const char* target : {"/one", "/two"}) {
      http::request<http::empty_body> request{http::verb::get, target, 11};
      request.set(http::field::host, "localhost");
      http::write(client, request);
      http::response<http::string_body> response;
      http::read(client, buffer, response);
      CHECK(response.result() == http::status::ok);
      CHECK(response.body() == std::string("you asked for ") + target);
    }
    client.shutdown(net::Shutdown::write);
    server.join();
  });
}

TEST_CASE("Beast's synchronous WebSocket stream runs on zio streams", "[net][beast]") {
  const std::size_t executors = GENERATE(1, 4);
  run_in_runtime(executors, [] {
    auto listener = net::TcpListener::bind(net::Address::loopback_v4(0));
    auto server = spawn([&listener] {
      websocket::stream<net::TcpStream> ws(listener.accept().stream);
      ws.accept();
      for (;;) {
        beast::flat_buffer message;
        error_code ec;
        ws.read(message, ec);
        if (ec == websocket::error::closed) return;
        if (ec) throw system_error(ec);
        ws.text(ws.got_text());
        ws.write(message.data());
      }
    });
    websocket::stream<net::TcpStream> ws(net::TcpStream::connect(listener.local_address()));
    ws.handshake("localhost", "/");
    for (const std::string text : {"hello", "zio"}) {
      ws.write(boost::asio::buffer(text));
      beast::flat_buffer reply;
      ws.read(reply);
      CHECK(beast::buffers_to_string(reply.data()) == text);
    }
    ws.close(websocket::close_code::normal);
    server.join();
  });
}

TEST_CASE("asio::read, asio::write and read_until work on zio streams", "[net][asio]") {
  run_in_runtime(1, [] {
    auto ends = net::UnixStream::pair();
    auto& a = ends.first;
    auto& b = ends.second;
    auto writer = spawn([&a] {
      boost::asio::write(a, boost::asio::buffer(std::string_view("line one\nline two\nrest")));
      a.shutdown(net::Shutdown::write);
    });
    std::string data;
    const std::size_t n = boost::asio::read_until(b, boost::asio::dynamic_buffer(data), '\n');
    CHECK(data.substr(0, n) == "line one\n");
    error_code ec;
    boost::asio::read(b, boost::asio::dynamic_buffer(data), ec);
    CHECK(ec == boost::asio::error::eof);
    CHECK(data == "line one\nline two\nrest");
    writer.join();
  });
}
