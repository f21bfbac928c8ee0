#pragma once
// A chat client over plain TCP (nc, telnet): lines end with "\n", a "\r" before it is dropped.
#include "connection.hpp"

#include <zio/io/buffered_reader.hpp>
#include <zio/net/tcp.hpp>

#include <chrono>

namespace chat {

class TcpConnection final : public Connection {
 public:
  TcpConnection(zio::net::TcpStream stream, std::size_t max_line, std::chrono::milliseconds write_timeout);

  std::optional<std::string> read_line() override;
  void write_line(std::string_view line) override;
  void shutdown() noexcept override;
  std::string peer() const override { return peer_; }

 private:
  zio::net::TcpStream stream_;
  zio::io::BufferedReader<zio::net::TcpStream&> reader_;
  std::string peer_;
};

}  // namespace chat
