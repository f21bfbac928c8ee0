#include "tcp_connection.hpp"

#include <boost/asio/error.hpp>

namespace chat {

TcpConnection::TcpConnection(zio::net::TcpStream stream, std::size_t max_line,
                             std::chrono::milliseconds write_timeout)
    : stream_(std::move(stream)), reader_(stream_, {.max_line = max_line}) {
  zio::error_code ec;
  peer_ = stream_.peer_address(ec).to_string();
  stream_.set_nodelay(true, ec);
  stream_.set_write_timeout(write_timeout);
}

std::optional<std::string> TcpConnection::read_line() {
  std::string line;
  zio::error_code ec;
  const bool got = reader_.read_line(line, ec);
  if (ec == boost::system::errc::message_size) throw LineTooLong();
  if (ec == zio::errc::canceled) throw zio::Canceled("chat: read_line");
  // Any other error (reset, shut down) ends the client like an orderly close does.
  if (ec || !got) return std::nullopt;
  return line;
}

void TcpConnection::write_line(std::string_view line) {
  std::string framed;
  framed.reserve(line.size() + 1);
  framed.append(line).push_back('\n');
  stream_.write_all(boost::asio::buffer(framed));
}

void TcpConnection::shutdown() noexcept {
  zio::error_code ignored;
  stream_.shutdown(zio::net::Shutdown::both, ignored);
}

}  // namespace chat
