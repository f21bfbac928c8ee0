#include <zio/net/dns.hpp>

#include <zio/detail/pool_call.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace zio::net {
namespace {

// On a pool thread. Asio's synchronous resolver calls getaddrinfo and maps its EAI_* codes
// to Asio's netdb errors; it needs an io_context only to exist.
std::vector<Address> lookup(const std::string& host, const std::string& service, error_code& ec) {
  boost::asio::io_context context(1);
  boost::asio::ip::tcp::resolver resolver(context);
  const auto results = resolver.resolve(host, service, ec);
  std::vector<Address> addresses;
  if (ec) return addresses;
  for (const auto& entry : results) {
    Address address(entry.endpoint());
    // getaddrinfo lists each address once per socket type unless hinted; keep the first.
    bool seen = false;
    for (const Address& known : addresses) seen = seen || known == address;
    if (!seen) addresses.push_back(address);
  }
  return addresses;
}

}  // namespace

std::vector<Address> resolve(std::string_view host, std::string_view service, error_code& ec) {
  struct Outcome {
    std::vector<Address> addresses;
    error_code ec;
  };
  // getaddrinfo blocks its thread, so it runs on the pool; the job owns copies of its inputs.
  auto outcome = detail::call_on_pool("zio::net::resolve", ec,
                                      [host = std::string(host), service = std::string(service)] {
                                        Outcome result;
                                        result.addresses = lookup(host, service, result.ec);
                                        return result;
                                      });
  if (!outcome) return {};  // interrupted, or the runtime is stopping: ec says which
  ec = outcome->ec;
  return std::move(outcome->addresses);
}

std::vector<Address> resolve(std::string_view host, std::string_view service) {
  error_code ec;
  auto addresses = resolve(host, service, ec);
  if (ec) {
    const std::string what = "zio::net::resolve(\"" + std::string(host) + "\", \"" + std::string(service) + "\")";
    detail::throw_error(ec, what.c_str());
  }
  return addresses;
}

std::vector<Address> resolve(std::string_view host, std::uint16_t port, error_code& ec) {
  return resolve(host, std::to_string(port), ec);
}

std::vector<Address> resolve(std::string_view host, std::uint16_t port) { return resolve(host, std::to_string(port)); }

}  // namespace zio::net
