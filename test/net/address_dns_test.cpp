// Addresses and name resolution (no outside DNS server is needed).
#include "net/net_support.hpp"

#include <algorithm>
#include <sstream>

using namespace zio;
using zio::test::run_in_runtime;

TEST_CASE("Addresses parse and print IPv4 and IPv6 with ports", "[net][address]") {
  CHECK(net::Address::parse("127.0.0.1:8080") == net::Address::loopback_v4(8080));
  CHECK(net::Address::parse("[::1]:443") == net::Address::loopback_v6(443));
  CHECK(net::Address::parse("[::1]:443").to_string() == "[::1]:443");
  CHECK(net::Address::parse("10.1.2.3:0").to_string() == "10.1.2.3:0");
  std::ostringstream out;
  out << net::Address::parse("192.168.0.1:65535");
  CHECK(out.str() == "192.168.0.1:65535");
}

TEST_CASE("Bad address text is a clear error", "[net][address]") {
  struct Case {
    const char* text;
    const char* why;
  };
  const Case cases[] = {
      {"127.0.0.1", "missing ':port'"},
      {"127.0.0.1:", "missing port"},
      {"127.0.0.1:99999", "0 to 65535"},
      {"127.0.0.1:http", "0 to 65535"},
      {"::1:80", "needs brackets"},
      {"[::1:80", "closed with ']'"},
      {"[::1]80", "expected ':'"},
      {"localhost:80", "zio::net::resolve"},
      {"300.1.1.1:80", "not a numeric"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    try {
      net::Address::parse(c.text);
      FAIL("parse should throw");
    } catch (const std::invalid_argument& e) {
      CHECK_THAT(e.what(), Catch::Contains(c.text) && Catch::Contains(c.why));
    }
    error_code ec;
    net::Address::parse(c.text, ec);
    CHECK(ec == boost::system::errc::invalid_argument);
  }
}

TEST_CASE("Resolve localhost and numeric hosts", "[net][dns]") {
  const std::size_t executors = GENERATE(1, 4);
  run_in_runtime(executors, [] {
    const auto local = net::resolve("localhost", 80);
    REQUIRE_FALSE(local.empty());
    CHECK(std::any_of(local.begin(), local.end(), [](const net::Address& a) { return a.ip().is_loopback(); }));
    CHECK(std::all_of(local.begin(), local.end(), [](const net::Address& a) { return a.port() == 80; }));
    CHECK(net::resolve("127.0.0.1", "8080") == std::vector{net::Address::loopback_v4(8080)});
    CHECK(net::resolve("::1", 53) == std::vector{net::Address::loopback_v6(53)});
  });
}

TEST_CASE("A failing lookup names what failed", "[net][dns]") {
  run_in_runtime(1, [] {
    error_code ec;
    CHECK(net::resolve("localhost", "no-such-service-zio", ec).empty());
    CHECK(ec == boost::asio::error::service_not_found);
    try {
      net::resolve("localhost", "no-such-service-zio");
      FAIL("resolve should throw");
    } catch (const system_error& e) {
      CHECK_THAT(e.what(), Catch::Contains("localhost") && Catch::Contains("no-such-service-zio"));
    }
    // An invalid host name fails whether or not a DNS server answers.
    try {
      net::resolve("no such host!", "80");
      FAIL("resolve should throw");
    } catch (const system_error& e) {
      CHECK_THAT(e.what(), Catch::Contains("no such host!"));
    }
  });
}
