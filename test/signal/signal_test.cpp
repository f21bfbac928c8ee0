#include <zio/signal/signal_set.hpp>

#include "support/runtime.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

using namespace std::chrono_literals;
using zio::test::ended_canceled;
using zio::test::run_in_runtime;

namespace {

void send(int signo) { ::kill(::getpid(), signo); }

// Raises `signo` and returns once `witness` (a set containing it) saw it: the hub hands one
// delivery to every set in the same step, so every other set has it too by then.
void send_and_sync(int signo, zio::SignalSet& witness) {
  send(signo);
  int got = witness.wait();
  if (got != signo) throw std::logic_error("witness saw signal " + std::to_string(got));
}

struct sigaction current_action(int signo) {
  struct sigaction action {};
  ::sigaction(signo, nullptr, &action);
  return action;
}

std::atomic<int> custom_calls{0};
void custom_handler(int) { custom_calls.fetch_add(1); }

}  // namespace

TEST_CASE("SignalSet: a waiting fiber receives a signal sent from another thread", "[signal]") {
  const std::size_t executors = GENERATE(1, 4);
  int got = run_in_runtime(executors, [] {
    zio::SignalSet set{SIGUSR1, SIGUSR2};
    std::atomic<bool> started{false};
    auto waiter = zio::spawn([&] {
      started = true;
      return set.wait();
    });
    zio::test::yield_until([&] { return started.load(); });
    std::thread raiser([] { send(SIGUSR2); });
    raiser.join();
    return waiter.join();
  });
  CHECK(got == SIGUSR2);
}

TEST_CASE("SignalSet: every set containing the signal sees each delivery", "[signal]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [a, b, b_empty, c_empty] = run_in_runtime(executors, [] {
    zio::SignalSet a{SIGUSR1};
    zio::SignalSet b{SIGUSR1, SIGUSR2};
    zio::SignalSet c{SIGWINCH};  // another signal: sees nothing
    auto other = zio::spawn([&] { return b.wait(); });
    send(SIGUSR1);
    int got_a = a.wait();
    int got_b = other.join();
    return std::tuple{got_a, got_b, !b.try_wait(), !c.try_wait()};
  });
  CHECK(a == SIGUSR1);
  CHECK(b == SIGUSR1);
  CHECK(b_empty);
  CHECK(c_empty);
}

TEST_CASE("SignalSet: deliveries while nobody waits are counted, not lost", "[signal]") {
  const std::size_t executors = GENERATE(1, 4);
  auto taken = run_in_runtime(executors, [] {
    zio::SignalSet set{SIGUSR1, SIGUSR2};
    zio::SignalSet witness{SIGUSR1, SIGUSR2};
    send_and_sync(SIGUSR1, witness);
    send_and_sync(SIGUSR2, witness);
    send_and_sync(SIGUSR1, witness);
    std::vector<int> got;
    while (auto signo = set.try_wait()) got.push_back(*signo);
    // And a blocking wait takes a pending delivery without suspending for a new one.
    send_and_sync(SIGUSR2, witness);
    got.push_back(set.wait());
    return got;
  });
  REQUIRE(taken.size() == 4);
  CHECK(std::count(taken.begin(), taken.end(), SIGUSR1) == 2);
  CHECK(std::count(taken.begin(), taken.end(), SIGUSR2) == 2);
  CHECK(taken.back() == SIGUSR2);
}

TEST_CASE("SignalSet: within one set each delivery goes to one waiter", "[signal]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [first, second, left] = run_in_runtime(executors, [] {
    zio::SignalSet set{SIGUSR1};
    zio::SignalSet witness{SIGUSR1};
    std::atomic<int> started{0};
    auto wait_one = [&] {
      started.fetch_add(1);
      return set.wait();
    };
    auto w1 = zio::spawn(wait_one);
    auto w2 = zio::spawn(wait_one);
    zio::test::yield_until([&] { return started.load() == 2; });
    send_and_sync(SIGUSR1, witness);
    send_and_sync(SIGUSR1, witness);
    int r1 = w1.join();
    int r2 = w2.join();
    return std::tuple{r1, r2, set.try_wait()};
  });
  CHECK(first == SIGUSR1);
  CHECK(second == SIGUSR1);
  CHECK_FALSE(left.has_value());
}

TEST_CASE("SignalSet: a cancelled wait throws Canceled and leaves the set usable", "[signal]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [canceled, ec_canceled, later] = run_in_runtime(executors, [] {
    zio::SignalSet set{SIGUSR1};
    std::atomic<bool> started{false};
    auto waiter = zio::spawn([&] {
      started = true;
      set.wait();
    });
    zio::test::yield_until([&] { return started.load(); });
    waiter.cancel();
    bool was_canceled = ended_canceled(waiter);

    started = false;
    auto ec_waiter = zio::spawn([&] {
      started = true;
      zio::error_code ec;
      int signo = set.wait(ec);
      return std::pair{signo, ec};
    });
    zio::test::yield_until([&] { return started.load(); });
    ec_waiter.cancel();
    auto [signo, ec] = ec_waiter.join();
    bool ec_ok = signo == 0 && ec == zio::errc::canceled;

    send(SIGUSR1);
    return std::tuple{was_canceled, ec_ok, set.wait()};
  });
  CHECK(canceled);
  CHECK(ec_canceled);
  CHECK(later == SIGUSR1);
}

TEST_CASE("SignalSet: with_timeout and wait_for give up without consuming a delivery", "[signal]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [timed_out, waited_for, later] = run_in_runtime(executors, [] {
    zio::SignalSet set{SIGUSR2};
    bool got_timed_out = false;
    try {
      zio::with_timeout(20ms, [&] { return set.wait(); });
    } catch (const zio::TimedOut&) {
      got_timed_out = true;
    }
    const auto start = zio::Clock::now();
    std::optional<int> none = set.wait_for(10ms);
    bool waited = !none && zio::test::ms_since(start) >= 10.0;
    send(SIGUSR2);
    return std::tuple{got_timed_out, waited, set.wait_for(10s)};
  });
  CHECK(timed_out);
  CHECK(waited_for);
  CHECK(later == std::optional<int>(SIGUSR2));
}

TEST_CASE("SignalSet: the previous disposition comes back when the last set goes", "[signal]") {
  const std::size_t executors = GENERATE(1, 4);
  struct sigaction custom {}, original {};
  custom.sa_handler = &custom_handler;
  ::sigemptyset(&custom.sa_mask);
  REQUIRE(::sigaction(SIGUSR2, &custom, &original) == 0);
  custom_calls = 0;

  auto [taken_over, still_taken, restored_inside] = run_in_runtime(executors, [] {
    std::optional<zio::SignalSet> first{std::in_place, std::initializer_list<int>{SIGUSR2}};
    bool taken = current_action(SIGUSR2).sa_handler != &custom_handler;
    send(SIGUSR2);
    first->wait();
    {
      zio::SignalSet second{SIGUSR2};
      first.reset();  // `second` still holds it
    }
    bool still = false;
    {
      zio::SignalSet third{SIGUSR2};
      zio::SignalSet fourth{SIGUSR2};
      still = current_action(SIGUSR2).sa_handler != &custom_handler;
    }
    return std::tuple{taken, still, current_action(SIGUSR2).sa_handler == &custom_handler};
  });
  CHECK(taken_over);
  CHECK(still_taken);
  CHECK(restored_inside);
  CHECK(custom_calls == 0);  // zio's handler got the signal, not the custom one

  // A set that outlives its runtime: the runtime's end restores the disposition.
  std::optional<zio::SignalSet> survivor;
  {
    zio::Runtime rt({.executors = executors});
    survivor.emplace(rt.block_on([] { return zio::SignalSet{SIGUSR2}; }));
    CHECK(current_action(SIGUSR2).sa_handler != &custom_handler);
  }
  CHECK(current_action(SIGUSR2).sa_handler == &custom_handler);
  zio::error_code ec;
  CHECK(survivor->wait(ec) == 0);
  CHECK(ec == zio::errc::runtime_stopped);
  survivor.reset();  // inert: must not touch the dead runtime or the disposition
  CHECK(current_action(SIGUSR2).sa_handler == &custom_handler);
  send(SIGUSR2);
  CHECK(custom_calls == 1);

  REQUIRE(::sigaction(SIGUSR2, &original, nullptr) == 0);
}

TEST_CASE("SignalSet: an ignored signal stays ignored afterwards", "[signal]") {
  struct sigaction ignore {}, original {};
  ignore.sa_handler = SIG_IGN;
  REQUIRE(::sigaction(SIGWINCH, &ignore, &original) == 0);
  int got = run_in_runtime(1, [] {
    zio::SignalSet set{SIGWINCH};
    send(SIGWINCH);
    return set.wait();
  });
  CHECK(got == SIGWINCH);
  CHECK(current_action(SIGWINCH).sa_handler == SIG_IGN);
  REQUIRE(::sigaction(SIGWINCH, &original, nullptr) == 0);
}

TEST_CASE("SignalSet: bad signal numbers are rejected by name", "[signal]") {
  auto message = [](std::initializer_list<int> signals) -> std::string {
    try {
      zio::SignalSet set(signals);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  };
  auto results = run_in_runtime(1, [&] {
    return std::vector<std::string>{message({0}),       message({-3}),          message({NSIG}),
                                    message({SIGKILL}), message({SIGUSR1, SIGSTOP}), message({SIGSEGV}),
                                    message({32}),      message({})};
  });
  CHECK_THAT(results[0], Catch::Contains("signal 0") && Catch::Contains("out of range"));
  CHECK_THAT(results[1], Catch::Contains("signal -3"));
  CHECK_THAT(results[2], Catch::Contains("out of range"));
  CHECK_THAT(results[3], Catch::Contains("SIGKILL") && Catch::Contains("cannot be caught"));
  CHECK_THAT(results[4], Catch::Contains("SIGSTOP"));
  CHECK_THAT(results[5], Catch::Contains("SIGSEGV"));
  CHECK_THAT(results[6], Catch::Contains("signal 32"));
  CHECK_THAT(results[7], Catch::Contains("at least one"));
  // A rejected list leaves no signal taken: SIGUSR1 was valid but the set never existed.
  CHECK(current_action(SIGUSR1).sa_handler == SIG_DFL);
}

TEST_CASE("SignalSet: outside a fiber throws NotInFiber", "[signal]") {
  CHECK_THROWS_AS(zio::SignalSet({SIGUSR1}), zio::NotInFiber);
  CHECK(current_action(SIGUSR1).sa_handler == SIG_DFL);
}

TEST_CASE("ctrl_c: returns on SIGINT", "[signal]") {
  const std::size_t executors = GENERATE(1, 4);
  const auto before = current_action(SIGINT).sa_handler;  // Catch2 installs its own
  auto [rounds, ec_form] = run_in_runtime(executors, [] {
    // `guard` keeps SIGINT from killing the test before ctrl_c()'s own set exists; each
    // round waits until the signal went round before sending another.
    zio::SignalSet guard{SIGINT};
    std::atomic<bool> done{false};
    auto waiter = zio::spawn([&] {
      zio::ctrl_c();
      done = true;
    });
    int n = 0;
    while (!done.load()) {
      send_and_sync(SIGINT, guard);
      ++n;
      zio::yield();
    }
    waiter.join();

    done = false;
    zio::error_code ec = make_error_code(zio::errc::closed);
    auto ec_waiter = zio::spawn([&] {
      zio::ctrl_c(ec);
      done = true;
    });
    while (!done.load()) {
      send_and_sync(SIGINT, guard);
      zio::yield();
    }
    ec_waiter.join();
    return std::pair{n, !ec};
  });
  CHECK(rounds >= 1);
  CHECK(ec_form);
  CHECK(current_action(SIGINT).sa_handler == before);
}
