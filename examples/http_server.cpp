// An HTTP/1.1 server on Boost.Beast's synchronous API: each connection is a fiber running
// plain blocking-style Beast code over a zio stream. Without arguments it serves a few
// requests from its own client and exits; with --serve PORT it serves until Ctrl-C.
//
//   build/release/examples/http_server
//   build/release/examples/http_server --serve 8080     # then: curl http://127.0.0.1:8080/hi
#include <zio/zio.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace http = boost::beast::http;
namespace net = zio::net;

void serve_connection(net::TcpStream stream) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    zio::error_code ec;
    http::read(stream, buffer, request, ec);
    if (ec) return;  // the client closed, or sent something that is not HTTP
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, "text/plain");
    response.body() = "hello from a zio fiber, you asked for " + std::string(request.target()) + "\n";
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    http::write(stream, response, ec);
    if (ec || !response.keep_alive()) return;
  }
}

int main(int argc, char** argv) {
  const bool serve_only = argc == 3 && std::strcmp(argv[1], "--serve") == 0;
  zio::Runtime rt;
  return rt.block_on([&] {
    auto listener = net::TcpListener::bind(net::Address::loopback_v4(
        static_cast<std::uint16_t>(serve_only ? std::atoi(argv[2]) : 0)));
    std::printf("HTTP server on http://%s/\n", listener.local_address().to_string().c_str());
    auto server = zio::spawn([&listener] {
      for (;;) zio::spawn(serve_connection, listener.accept().stream).detach();
    });
    if (serve_only) {
      zio::ctrl_c();
      server.cancel();
      server.wait();  // it uses `listener`: let it end before the listener goes
      return 0;
    }
    // A client on the same runtime: one connection, two requests (keep-alive).
    auto client = net::TcpStream::connect(listener.local_address());
    boost::beast::flat_buffer buffer;
    int ok = 0;
    for (const char* target : {"/hello", "/world"}) {
      http::request<http::empty_body> request{http::verb::get, target, 11};
      request.set(http::field::host, "localhost");
      http::write(client, request);
      http::response<http::string_body> response;
      http::read(client, buffer, response);
      std::printf("GET %s -> %u %s", target, response.result_int(), response.body().c_str());
      ok += response.result() == http::status::ok;
    }
    server.cancel();
    server.wait();
    return ok == 2 ? 0 : 1;
  });
}
