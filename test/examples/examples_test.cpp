// Smoke test of the examples gallery: each program runs to completion, exits 0 and prints
// what it promises.
#include "support/child_process.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

struct Outcome {
  int exit_code = -1;
  std::string output;
};

// Runs EXAMPLES_DIR/name with `args`, collecting stdout and stderr.
Outcome run(const std::string& name, std::vector<std::string> args = {}) {
  const auto child = zio::test::start_process(std::string(EXAMPLES_DIR) + "/" + name, std::move(args),
                                              zio::test::Capture::both);
  REQUIRE(child.pid > 0);
  Outcome outcome;
  outcome.output = zio::test::read_to_end(child.output);
  outcome.exit_code = zio::test::wait_exit_code(child.pid);
  return outcome;
}

}  // namespace

TEST_CASE("Examples run and say what they do", "[examples]") {
  struct Case {
    const char* name;
    std::vector<std::string> args;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"hello", {}, "hello from fiber"},
      {"quick_example", {}, ""},
      {"sleep", {}, "1000 fibers slept 50 ms each"},
      {"tcp_echo", {}, "client 3 got back: hello from client 3"},
      {"udp_echo", {}, "ping 3 -> ping 3"},
      {"producer_consumer", {}, "consumed 1000 jobs"},
      {"mutex_demo", {}, "even workers: 5000 increments, odd workers: 5000"},
      {"signals", {}, "received SIGUSR1 in a fiber"},
      {"http_server", {}, "GET /world -> 200 hello from a zio fiber"},
      {"parallel_grep", {"fiber", std::string(SOURCE_DIR) + "/examples/parallel_grep.cpp", "/nonexistent"},
       "/nonexistent: error: No such file or directory"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const Outcome outcome = run(c.name, c.args);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 0);
    CHECK_THAT(outcome.output, Catch::Contains(c.expect));
  }
}

TEST_CASE("parallel_grep reports nothing found like grep does", "[examples]") {
  const Outcome outcome = run("parallel_grep", {"no such text in this file, surely", std::string(SOURCE_DIR) + "/README.md"});
  CHECK(outcome.exit_code == 1);
  CHECK(run("parallel_grep").exit_code == 2);
}
