// A TCP echo server and a client in one program: the seed's example, in C++.
//
//   build/release/examples/tcp_echo            # serves 127.0.0.1:<free port>, runs 3 clients
//   build/release/examples/tcp_echo --serve 7007   # serves until Ctrl-C; try `nc 127.0.0.1 7007`
#include <zio/zio.hpp>

#include <boost/asio/read_until.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace net = zio::net;

// One connection: send back whatever arrives, until the client closes.
void handle_client(net::TcpStream stream) {
  char buffer[4096];
  for (;;) {
    zio::error_code ec;
    const std::size_t n = stream.read_some(boost::asio::buffer(buffer), ec);
    if (ec) return;  // eof or an error: the client is gone
    stream.write_all(boost::asio::buffer(buffer, n));
  }
}

// Accepts forever; each client gets its own fiber.
void serve(net::TcpListener& listener) {
  for (;;) {
    auto [stream, peer] = listener.accept();
    std::printf("server: connection from %s\n", peer.to_string().c_str());
    zio::spawn(handle_client, std::move(stream)).detach();
  }
}

std::string client(net::Address server, int id) {
  auto stream = net::TcpStream::connect(server);
  const std::string message = "hello from client " + std::to_string(id) + "\n";
  stream.write_all(boost::asio::buffer(message));
  std::string reply;
  boost::asio::read_until(stream, boost::asio::dynamic_buffer(reply), '\n');
  return reply;
}

int main(int argc, char** argv) {
  const bool serve_only = argc == 3 && std::strcmp(argv[1], "--serve") == 0;
  zio::Runtime rt;
  return rt.block_on([&] {
    const auto port = static_cast<std::uint16_t>(serve_only ? std::atoi(argv[2]) : 0);
    auto listener = net::TcpListener::bind(net::Address::loopback_v4(port));
    std::printf("echo server on %s\n", listener.local_address().to_string().c_str());
    auto server = zio::spawn([&listener] { serve(listener); });
    if (serve_only) {
      zio::ctrl_c();
      server.cancel();
      server.wait();  // it uses `listener`: let it end before the listener goes
      return 0;
    }
    int ok = 0;
    for (int id = 1; id <= 3; ++id) {
      const std::string reply = client(listener.local_address(), id);
      std::printf("client %d got back: %s", id, reply.c_str());
      ok += reply == "hello from client " + std::to_string(id) + "\n";
    }
    server.cancel();
    server.wait();
    return ok == 3 ? 0 : 1;
  });
}
