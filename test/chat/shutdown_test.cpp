// The chat server binary: SIGTERM tells every client and exits 0 within two seconds.
#include "chat/chat_support.hpp"
#include "support/child_process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;
using chat::test::Client;

namespace {

struct Child {
  pid_t pid = -1;
  std::uint16_t port = 0;
};

// Starts the server on a free port and reads the port it printed.
Child start_server() {
  const auto child = zio::test::start_process(CHAT_SERVER,
                                              {"--port", "0", "--http-port", "-1", "--executors", "2", "--log-level", "warn"},
                                              zio::test::Capture::stdout_only);
  REQUIRE(child.pid > 0);
  const int out = child.output;
  std::string first_line;
  char c;
  while (::read(out, &c, 1) == 1 && c != '\n') first_line += c;
  ::close(out);
  unsigned tcp = 0;
  int http = 0;
  REQUIRE(std::sscanf(first_line.c_str(), "listening tcp=%u http=%d", &tcp, &http) == 2);
  return {child.pid, static_cast<std::uint16_t>(tcp)};
}

}  // namespace

TEST_CASE("Chat server: SIGTERM says goodbye to every client and exits 0 quickly", "[chat][signal]") {
  const Child child = start_server();
  zio::test::run_in_runtime(1, [&child] {
    Client a(child.port);
    a.welcome();
    Client b(child.port);
    b.welcome();
    CHECK(a.line().ends_with(" joined"));
    REQUIRE(::kill(child.pid, SIGTERM) == 0);
    CHECK(a.line() == "* server shutting down");
    CHECK(b.line() == "* server shutting down");
    CHECK(a.line() == "<eof>");
    CHECK(b.line() == "<eof>");
  });
  const auto start = zio::Clock::now();
  int status = 0;
  REQUIRE(::waitpid(child.pid, &status, 0) == child.pid);
  CHECK(zio::test::ms_since(start) < 2000);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("Chat server: bad options are a clear error", "[chat]") {
  for (const char* option : {"--port=abc", "--bogus"}) {
    const auto child = zio::test::start_process(CHAT_SERVER, {option, "1"}, zio::test::Capture::stderr_only);
    REQUIRE(child.pid > 0);
    const std::string text = zio::test::read_to_end(child.output);
    CHECK(zio::test::wait_exit_code(child.pid) == 2);
    CHECK_THAT(text, Catch::Contains("unknown option") && Catch::Contains("usage:"));
  }
}
