#pragma once
// Helpers for the networking tests.
#include "support/runtime.hpp"

#include <zio/net.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace zio::test {

/// Deterministic bytes for a payload of `size` bytes.
inline std::vector<char> pattern(std::size_t size, std::uint32_t seed = 1) {
  std::vector<char> bytes(size);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : bytes) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<char>(x);
  }
  return bytes;
}

/// FNV-1a over a byte stream, updated piece by piece.
struct Checksum {
  std::uint64_t value = 1469598103934665603ull;
  void add(const char* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
      value ^= static_cast<unsigned char>(data[i]);
      value *= 1099511628211ull;
    }
  }
};

/// A connected pair of TCP streams over loopback.
inline std::pair<net::TcpStream, net::TcpStream> tcp_pair() {
  auto listener = net::TcpListener::bind(net::Address::loopback_v4(0));
  auto client = zio::spawn([port = listener.local_address().port()] {
    return net::TcpStream::connect(net::Address::loopback_v4(port));
  });
  auto accepted = listener.accept();
  return {client.join(), std::move(accepted.stream)};
}

/// A fresh abstract Unix socket name for this process.
inline std::string abstract_name(const std::string& tag) {
  static std::atomic<int> counter{0};
  return "@zio-test-" + std::to_string(::getpid()) + "-" + tag + "-" + std::to_string(counter++);
}

}  // namespace zio::test
