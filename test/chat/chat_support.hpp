#pragma once
// Drives the example chat server in-process with real TCP clients on loopback.
#include "support/runtime.hpp"

#include "server.hpp"

#include <zio/io/buffered_reader.hpp>
#include <zio/net.hpp>

#include <memory>
#include <optional>
#include <string>

namespace chat::test {

using namespace std::chrono_literals;

/// A line client. Reads give up after a few seconds, so a missing line fails the test
/// instead of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port)
      : stream_(zio::net::TcpStream::connect(zio::net::Address::loopback_v4(port))), in_(stream_) {
    stream_.set_read_timeout(10s);
  }

  /// The next line; "<eof>" when the server closed the connection.
  std::string line() {
    std::string text;
    return in_.read_line(text) ? text : "<eof>";
  }
  void send(std::string_view text) { stream_.write_all(boost::asio::buffer(text)); }
  void say(std::string_view text) { send(std::string(text) + "\n"); }
  /// Reads the welcome and returns the nick it gives.
  std::string welcome() {
    const std::string text = line();
    const auto start = text.find("you are ") + 8;
    return text.substr(start, text.find(';') - start);
  }
  zio::net::TcpStream& stream() { return stream_; }

 private:
  zio::net::TcpStream stream_;
  zio::io::BufferedReader<zio::net::TcpStream&> in_;
};

/// A server running in a fiber of the calling fiber's runtime; stopped and joined on
/// destruction.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options)
      : server_(std::make_unique<Server>(adjust(std::move(options)))),
        run_(zio::spawn([server = server_.get()] { server->run(std::chrono::milliseconds(500)); })) {}
  ~RunningServer() {
    server_->stop();
    run_.wait();
  }
  Server& server() { return *server_; }
  std::unique_ptr<Client> connect() { return std::make_unique<Client>(server_->port()); }

 private:
  static ServerOptions adjust(ServerOptions options) {
    options.port = 0;
    if (options.http_port) options.http_port = 0;
    return options;
  }
  std::unique_ptr<Server> server_;
  zio::JoinHandle<void> run_;
};

}  // namespace chat::test
