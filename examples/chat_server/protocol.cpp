#include "protocol.hpp"

#include <cstdint>

namespace chat {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at the start of `s`, or 0 if it is not one (overlong
// forms, surrogates and code points past U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  const auto continuation = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  const std::uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (lead == 0xED && byte(1) >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (lead == 0xF0 && byte(1) < 0x90) return 0;   // overlong
    if (lead == 0xF4 && byte(1) >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string sanitize(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  while (!line.empty()) {
    const std::size_t n = utf8_sequence_length(line);
    if (n == 0) {
      out += replacement;
      line.remove_prefix(1);
      continue;
    }
    const auto c = static_cast<unsigned char>(line.front());
    // C0 controls and DEL; tab stays. (C1 controls are two-byte sequences: dropped too.)
    const bool c1_control = n == 2 && c == 0xC2 && static_cast<unsigned char>(line[1]) < 0xA0;
    if (!((n == 1 && (c < 0x20 || c == 0x7F) && c != '\t') || c1_control)) out.append(line.substr(0, n));
    line.remove_prefix(n);
  }
  return out;
}

bool valid_nick(std::string_view nick) {
  if (nick.empty() || nick.size() > 32) return false;
  for (char c : nick) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Command parse_command(std::string_view line) {
  if (line.empty() || line.front() != '/') return {Command::Kind::say, "", std::string(line)};
  const std::size_t space = line.find_first_of(" \t");
  const std::string_view word = line.substr(0, space);
  const std::string_view rest = space == std::string_view::npos ? std::string_view{} : trim(line.substr(space));
  Command command{Command::Kind::unknown, std::string(word), std::string(rest)};
  if (word == "/nick") command.kind = Command::Kind::nick;
  else if (word == "/who") command.kind = Command::Kind::who;
  else if (word == "/me") command.kind = Command::Kind::me;
  else if (word == "/quit") command.kind = Command::Kind::quit;
  return command;
}

}  // namespace chat
