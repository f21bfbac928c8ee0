#pragma once
// What a chat session needs from a client's transport: lines in, lines out. TCP clients and
// browser (WebSocket) clients implement it, so both share one room and one session loop.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chat {

/// A client sent a line longer than the server accepts.
struct LineTooLong : std::runtime_error {
  LineTooLong() : std::runtime_error("line too long") {}
};

class Connection {
 public:
  virtual ~Connection() = default;

  /// The next line, without its end of line; nullopt once the client has gone (closed,
  /// reset, or shutdown() was called). Throws LineTooLong, Canceled.
  virtual std::optional<std::string> read_line() = 0;

  /// Sends one line. Throws system_error when the client is gone or did not take the line
  /// within the write time limit (errc::timed_out), Canceled.
  virtual void write_line(std::string_view line) = 0;

  /// Ends the connection in both directions; a read_line blocked in another fiber returns.
  virtual void shutdown() noexcept = 0;

  /// The peer, for logs.
  virtual std::string peer() const = 0;
};

}  // namespace chat
