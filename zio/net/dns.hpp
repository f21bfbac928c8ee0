#pragma once
/// Name resolution that blocks only the calling fiber.
#include <zio/net/address.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace zio::net {

/// Resolves `host` (a name or a numeric address) and `service` (a port number or a name from
/// /etc/services) to its addresses, in the system resolver's order. The lookup
/// (getaddrinfo) runs on the runtime's blocking pool, so the executor keeps running others.
///
/// Throws system_error naming the host and service when the lookup fails, Canceled when the
/// fiber is cancelled meanwhile (the lookup itself finishes in the background). Fiber only.
std::vector<Address> resolve(std::string_view host, std::string_view service);
std::vector<Address> resolve(std::string_view host, std::string_view service, error_code& ec);
std::vector<Address> resolve(std::string_view host, std::uint16_t port);
std::vector<Address> resolve(std::string_view host, std::uint16_t port, error_code& ec);

}  // namespace zio::net
