// Waiting for OS signals in a fiber. Sends itself SIGUSR1 to show the round trip; with
// --wait it waits for Ctrl-C (SIGINT) or SIGTERM instead.
//
//   build/release/examples/signals
//   build/release/examples/signals --wait
#include <zio/zio.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  const bool wait_for_user = argc > 1 && std::strcmp(argv[1], "--wait") == 0;
  zio::Runtime rt;
  return rt.block_on([&] {
    if (wait_for_user) {
      zio::SignalSet stop{SIGINT, SIGTERM};
      std::printf("waiting for Ctrl-C or SIGTERM...\n");
      std::printf("got signal %d, exiting\n", stop.wait());
      return 0;
    }
    zio::SignalSet usr{SIGUSR1};
    auto sender = zio::spawn([] {
      zio::sleep_for(10ms);
      std::raise(SIGUSR1);
    });
    // A wait with a time limit: an optional that is empty when time ran out.
    const std::optional<int> got = usr.wait_for(5s);
    sender.join();
    std::printf(got ? "received SIGUSR1 in a fiber\n" : "no signal within 5 s\n");
    return got == SIGUSR1 ? 0 : 1;
  });
}
