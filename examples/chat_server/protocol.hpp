#pragma once
// The chat server's line protocol: cleaning client input and parsing commands. Pure
// functions, no I/O.
#include <string>
#include <string_view>

namespace chat {

/// Makes a client's line safe to relay: control characters other than tab are removed (no
/// terminal-escape injection) and every invalid UTF-8 sequence becomes U+FFFD.
std::string sanitize(std::string_view line);

/// 1 to 32 characters, each a letter, digit, '_' or '-'.
bool valid_nick(std::string_view nick);

struct Command {
  enum class Kind { say, nick, who, me, quit, unknown };
  Kind kind = Kind::say;
  std::string name;      // the command word as typed ("/nick"), for error messages
  std::string argument;  // the rest of the line, trimmed; the whole line for `say`
};

/// Parses a sanitized, non-empty line: "/word rest" is a command, anything else is `say`.
Command parse_command(std::string_view line);

}  // namespace chat
