// zio's example chat server: telnet/nc clients and browsers in one room.
//
//   chat_server [--host 127.0.0.1] [--port 7000] [--http-port 7001] [--executors N]
//               [--max-clients 1000] [--max-line 4096] [--log-level info]
//
// Then `nc 127.0.0.1 7000`, or open http://127.0.0.1:7001/ in a browser. SIGINT or SIGTERM
// tells every client "* server shutting down" and exits 0.
#include "server.hpp"

#include <zio/runtime/runtime.hpp>
#include <zio/runtime/spawn.hpp>
#include <zio/signal/signal_set.hpp>

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view usage = R"(usage: chat_server [options]
  --host ADDRESS      address to listen on (default 127.0.0.1)
  --port N            TCP port for line clients such as nc or telnet (default 7000; 0: any)
  --http-port N       port of the browser page and WebSocket (default 7001; 0: any; -1: off)
  --executors N       executor threads (default: one per core)
  --max-clients N     clients at once; more are told "! server full" (default 1000)
  --max-line N        longest line in bytes (default 4096)
  --log-level LEVEL   trace, debug, info, warn, error or off (default info)
  --help              this text
)";

struct Options {
  chat::ServerOptions server;
  std::size_t executors = zio::default_executors();
  std::string log_level = "info";
};

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "chat_server: " << message << "\n" << usage;
  std::exit(2);
}

long long number(std::string_view flag, std::string_view text, long long min, long long max) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    fail(std::string(flag) + " needs a number from " + std::to_string(min) + " to " + std::to_string(max) +
         ", not \"" + std::string(text) + "\"");
  }
  return value;
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << usage;
      std::exit(0);
    }
    if (i + 1 >= argc) fail(std::string(flag) + (flag.starts_with("--") ? " needs a value" : ": unknown option"));
    const std::string_view value = argv[++i];
    if (flag == "--host") {
      options.server.host = value;
    } else if (flag == "--port") {
      options.server.port = static_cast<std::uint16_t>(number(flag, value, 0, 65535));
    } else if (flag == "--http-port") {
      const long long port = number(flag, value, -1, 65535);
      options.server.http_port = port < 0 ? std::nullopt : std::optional(static_cast<std::uint16_t>(port));
    } else if (flag == "--executors") {
      options.executors = static_cast<std::size_t>(number(flag, value, 1, 1024));
    } else if (flag == "--max-clients") {
      options.server.max_clients = static_cast<std::size_t>(number(flag, value, 1, 1'000'000));
    } else if (flag == "--max-line") {
      options.server.max_line = static_cast<std::size_t>(number(flag, value, 16, 1 << 24));
    } else if (flag == "--log-level") {
      options.log_level = value;
      if (spdlog::level::from_str(options.log_level) == spdlog::level::off && value != "off") {
        fail("--log-level must be trace, debug, info, warn, error or off");
      }
    } else {
      fail("unknown option " + std::string(flag));
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  try {
    zio::Runtime runtime({.executors = options.executors});
    return runtime.block_on([&] {
      chat::Server server(options.server);
      zio::SignalSet stop_signals{SIGINT, SIGTERM};
      auto stopper = zio::spawn([&] {
        const int signo = stop_signals.wait();
        spdlog::info("signal {} received", signo);
        server.stop();
      });
      spdlog::info("chat server on {}:{} (TCP){}", options.server.host, server.port(),
                   server.http_port() ? ", browser page on port " + std::to_string(*server.http_port()) : "");
      // For scripts and tests: the ports actually bound (useful with --port 0).
      std::printf("listening tcp=%u http=%d\n", server.port(),
                  server.http_port() ? static_cast<int>(*server.http_port()) : -1);
      std::fflush(stdout);
      server.run();
      stopper.cancel();
      return 0;
    });
  } catch (const std::exception& e) {
    std::cerr << "chat_server: " << e.what() << "\n";
    return 1;
  }
}
