#pragma once
// The echo workload's two sides over Boost.Asio sockets, for the peers that drive Asio from a
// coroutine or fiber (asio::spawn, Boost.Fiber). They differ only in the completion token that
// suspends the caller, so each passes `token(ec)`: a function returning its token bound to `ec`
// (`yield[ec]`, `fiber_yield[ec]`).
#include "contract.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace peers {

/// The server's side of one connection: read what is there, write it back, until EOF.
template <typename Token>
void asio_echo_session(boost::asio::ip::tcp::socket& socket, Token token) {
  std::array<unsigned char, echo_server_buffer> buffer;
  boost::system::error_code ec;
  for (;;) {
    std::size_t n = socket.async_read_some(boost::asio::buffer(buffer), token(ec));
    if (ec == boost::asio::error::eof) return;
    if (ec) fail("server read: " + ec.message());
    boost::asio::async_write(socket, boost::asio::buffer(buffer.data(), n), token(ec));
    if (ec) fail("server write: " + ec.message());
  }
}

/// One client: connect, TCP_NODELAY, then `rounds` times write 64 bytes and read them back.
template <typename Token>
void asio_echo_client(boost::asio::ip::tcp::socket& socket, const boost::asio::ip::tcp::endpoint& server,
                      int client, long rounds, Token token) {
  boost::system::error_code ec;
  socket.async_connect(server, token(ec));
  if (ec) fail("connect: " + ec.message());
  socket.set_option(boost::asio::ip::tcp::no_delay(true));
  std::array<unsigned char, echo_message_size> sent;
  std::array<unsigned char, echo_message_size> reply;
  for (long round = 0; round < rounds; ++round) {
    fill_echo_message(sent.data(), client, round);
    boost::asio::async_write(socket, boost::asio::buffer(sent), token(ec));
    if (ec) fail("client write: " + ec.message());
    boost::asio::async_read(socket, boost::asio::buffer(reply), token(ec));
    if (ec) fail("client read: " + ec.message());
    check_echo_reply(sent.data(), reply.data(), client, round);
  }
}

}  // namespace peers
