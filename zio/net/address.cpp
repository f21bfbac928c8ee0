#include <zio/net/address.hpp>

#include <charconv>
#include <ostream>
#include <stdexcept>

namespace zio::net {
namespace {

// Why `text` is not an address, or nullptr with `out` set.
const char* parse_address(std::string_view text, Address& out) noexcept {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return "an IPv6 address must be closed with ']'";
    if (close + 1 >= text.size() || text[close + 1] != ':') return "expected ':' and a port after ']'";
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return "missing ':port'";
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return "an IPv6 address needs brackets, as in [::1]:80";
  }
  if (port.empty()) return "missing port number";
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc{} || end != port.data() + port.size() || value > 65535) {
    return "the port must be a number from 0 to 65535";
  }
  error_code ec;
  auto ip = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return "not a numeric IPv4 or IPv6 address (use zio::net::resolve for host names)";
  out = Address(ip, static_cast<std::uint16_t>(value));
  return nullptr;
}

}  // namespace

Address Address::parse(std::string_view text) {
  Address address;
  if (const char* why = parse_address(text, address)) {
    throw std::invalid_argument("zio::net::Address::parse(\"" + std::string(text) + "\"): " + why);
  }
  return address;
}

Address Address::parse(std::string_view text, error_code& ec) noexcept {
  Address address;
  try {
    if (parse_address(text, address)) {
      ec = make_error_code(boost::system::errc::invalid_argument);
      return {};
    }
  } catch (const std::bad_alloc&) {
    ec = make_error_code(boost::system::errc::not_enough_memory);
    return {};
  }
  ec.clear();
  return address;
}

std::string Address::to_string() const {
  std::string ip = ip_.to_string();
  if (ip_.is_v6()) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(port_);
}

std::ostream& operator<<(std::ostream& out, const Address& address) { return out << address.to_string(); }

}  // namespace zio::net
