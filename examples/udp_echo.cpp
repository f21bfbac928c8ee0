// UDP echo: a server fiber answers datagrams; the client sends a few and waits for each
// answer with a time limit (datagrams may be lost on a real network).
//
//   build/release/examples/udp_echo
#include <zio/zio.hpp>

#include <cstdio>
#include <string>

using namespace std::chrono_literals;
namespace net = zio::net;

int main() {
  zio::Runtime rt;
  return rt.block_on([] {
    auto server = net::UdpSocket::bind(net::Address::loopback_v4(0));
    auto echo = zio::spawn([&server] {
      char buffer[1500];
      for (;;) {
        net::Address from;
        const std::size_t n = server.receive_from(boost::asio::buffer(buffer), from);
        server.send_to(boost::asio::buffer(buffer, n), from);
      }
    });

    auto client = net::UdpSocket::bind(net::Address::loopback_v4(0));
    client.connect(server.local_address());
    client.set_read_timeout(1s);
    int answered = 0;
    for (int i = 1; i <= 3; ++i) {
      const std::string ping = "ping " + std::to_string(i);
      client.send(boost::asio::buffer(ping));
      char reply[64];
      zio::error_code ec;
      const std::size_t n = client.receive(boost::asio::buffer(reply), ec);
      if (ec) {
        std::printf("%s: no answer (%s)\n", ping.c_str(), ec.message().c_str());
        continue;
      }
      std::printf("%s -> %.*s\n", ping.c_str(), static_cast<int>(n), reply);
      ++answered;
    }
    echo.cancel();
    echo.wait();  // it uses `server`: let it end first
    return answered == 3 ? 0 : 1;
  });
}
