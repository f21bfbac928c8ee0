#pragma once
// The plumbing every C++ peer shares, so that all of them read the command line, time, report
// and fail in exactly the way benchmarks/README.md prescribes:
//
//   <program> <benchmark> <threads> [n]      ->  "RESULT <value> <unit>" | "UNSUPPORTED <reason>"
//
// Header-only and free of zio and of Boost: the peers must not depend on the runtime they are
// compared with.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace peers {

/// The parsed command line.
struct Options {
  std::string benchmark;  // ping_pong | spawn | echo | idle
  int threads = 1;        // 1 or 2
  long n = 0;             // the size: the README's default unless given
};

/// The echo workload's fixed shape (README: 10 clients, 64-byte messages, 4096-byte server
/// buffer).
inline constexpr int echo_clients = 10;
inline constexpr std::size_t echo_message_size = 64;
inline constexpr std::size_t echo_server_buffer = 4096;

/// Reports a broken run on stderr and exits 1 at once. `_Exit` rather than `exit`: it may be
/// called on a fiber or a helper thread, where running static destructors under a live scheduler
/// could hang or crash instead of reporting. Nothing is buffered on stdout before the result.
[[noreturn]] inline void fail(std::string_view message) {
  std::fprintf(stderr, "error: %.*s\n", int(message.size()), message.data());
  std::fflush(stderr);
  std::_Exit(1);
}

/// The README's default size of each benchmark; 0 for an unknown name.
inline long default_n(std::string_view benchmark) {
  if (benchmark == "ping_pong") return 1'000'000;
  if (benchmark == "spawn") return 1'000'000;
  if (benchmark == "echo") return 50'000;
  if (benchmark == "idle") return 100'000;
  return 0;
}

/// Parses `<benchmark> <threads> [n]`; a malformed line is a usage message and exit 2.
inline Options parse_options(int argc, char** argv) {
  auto usage = [&] {
    std::fprintf(stderr, "usage: %s ping_pong|spawn|echo|idle 1|2 [n]\n", argc > 0 ? argv[0] : "bench");
    std::exit(2);
  };
  if (argc < 3 || argc > 4) usage();
  Options o;
  o.benchmark = argv[1];
  o.n = default_n(o.benchmark);
  if (o.n == 0) usage();
  if (std::strcmp(argv[2], "1") == 0) {
    o.threads = 1;
  } else if (std::strcmp(argv[2], "2") == 0) {
    o.threads = 2;
  } else {
    usage();
  }
  if (argc == 4) {
    char* end = nullptr;
    o.n = std::strtol(argv[3], &end, 10);
    if (end == argv[3] || *end != '\0' || o.n <= 0) usage();
  }
  return o;
}

/// Prints the one result line. Returns 0 so that `return print_result(...)` ends main.
inline int print_result(double value, std::string_view unit) {
  std::printf("RESULT %.3f %.*s\n", value, int(unit.size()), unit.data());
  std::fflush(stdout);
  return 0;
}

/// Prints why a combination cannot run. Returns 0: unsupported is not an error.
inline int unsupported(std::string_view reason) {
  std::printf("UNSUPPORTED %.*s\n", int(reason.size()), reason.data());
  std::fflush(stdout);
  return 0;
}

/// The resident set size in bytes, from the `VmRSS:` line of /proc/self/status (kB there).
inline long vm_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) fail("cannot open /proc/self/status");
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) {
      kb = std::strtol(line + 6, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  if (kb < 0) fail("no VmRSS line in /proc/self/status");
  return kb * 1024;
}

/// A monotonic stopwatch, started on construction.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void restart() { start_ = std::chrono::steady_clock::now(); }
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  double nanoseconds() const {
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

/// Fills `out` (echo_message_size bytes) with the message that client `client` sends on round
/// `round`: distinct per client and round, so a reply that belongs to another connection or round
/// is caught.
inline void fill_echo_message(unsigned char* out, int client, long round) {
  for (std::size_t j = 0; j < echo_message_size; ++j) {
    out[j] = static_cast<unsigned char>(std::size_t(round) * 31u + std::size_t(client) * 7u + j);
  }
}

/// Fails unless the reply matches the message sent.
inline void check_echo_reply(const unsigned char* sent, const unsigned char* received, int client, long round) {
  if (std::memcmp(sent, received, echo_message_size) != 0) {
    fail("client " + std::to_string(client) + " round " + std::to_string(round) + ": echo differs from message sent");
  }
}

}  // namespace peers
