#include <zio/coro/coroutine.hpp>
#include <zio/sync/channel.hpp>

#include "support/runtime.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>

TEST_CASE("Coroutine: two fibers suspended inside catch blocks each rethrow their own exception",
          "[coro][exceptions]") {
  const std::size_t executors = GENERATE(1, 4);
  auto results = zio::test::run_in_runtime(executors, [] {
    auto worker = [](std::string name) {
      try {
        throw std::runtime_error(name);
      } catch (...) {
        // Suspend with the exception caught; the other fiber catches its own meanwhile.
        for (int i = 0; i < 3; ++i) zio::yield();
        try {
          throw;
        } catch (const std::runtime_error& e) {
          return std::string(e.what()) + ":" + std::to_string(std::uncaught_exceptions());
        }
      }
      return std::string("unreachable");
    };
    auto a = zio::spawn(worker, std::string("first"));
    auto b = zio::spawn(worker, std::string("second"));
    return std::array<std::string, 2>{a.join(), b.join()};
  });
  CHECK(results[0] == "first:0");
  CHECK(results[1] == "second:0");
}

TEST_CASE("Coroutine: fibers handing the thread to each other keep their own caught exceptions",
          "[coro][exceptions]") {
  // A channel ping-pong switches from fiber to fiber directly (no pass through the
  // executor), which must swap the per-thread exception state just as the executor does.
  const std::size_t executors = GENERATE(1, 2);
  auto results = zio::test::run_in_runtime(executors, [] {
    zio::Channel<int> to_b(1), to_a(1);
    auto worker = [](std::string name, zio::Channel<int>& in, zio::Channel<int>& out, bool starts) {
      std::string seen;
      try {
        throw std::runtime_error(name);
      } catch (...) {
        for (int i = 0; i < 50; ++i) {
          if (starts) out.send(i);
          if (!in.receive()) return std::string("closed");
          if (!starts) out.send(i);
        }
        try {
          throw;
        } catch (const std::runtime_error& e) {
          seen = std::string(e.what()) + ":" + std::to_string(std::uncaught_exceptions());
        }
      }
      return seen;
    };
    auto a = zio::spawn(worker, std::string("a"), std::ref(to_a), std::ref(to_b), true);
    auto b = zio::spawn(worker, std::string("b"), std::ref(to_b), std::ref(to_a), false);
    return std::array<std::string, 2>{a.join(), b.join()};
  });
  CHECK(results[0] == "a:0");
  CHECK(results[1] == "b:0");
}

TEST_CASE("Coroutine: an exception in flight in one fiber does not leak into another",
          "[coro][exceptions]") {
  auto seen = zio::test::run_in_runtime(1, [] {
    std::atomic<int> other_uncaught{-1};
    auto other = zio::spawn([&] {
      zio::yield();
      other_uncaught = std::uncaught_exceptions();
    });
    struct YieldsInDestructor {
      ~YieldsInDestructor() {
        // Unwinding: this fiber has an uncaught exception while it is switched out.
        try {
          zio::yield();
        } catch (...) {
        }
      }
    };
    try {
      YieldsInDestructor d;
      throw std::runtime_error("unwinding");
    } catch (const std::runtime_error&) {
    }
    other.join();
    return other_uncaught.load();
  });
  CHECK(seen == 0);
}

TEST_CASE("Coroutine: a stack overflow ends the process with a clear message", "[coro][overflow]") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::close(pipe_fds[0]);
    ::execl(ZIO_OVERFLOW_CHILD, ZIO_OVERFLOW_CHILD, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::string output;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) output.append(buffer, std::size_t(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  INFO(output);
  CHECK(output.find("zio: stack overflow in a fiber") != std::string::npos);
  CHECK(output.find("stack_size") != std::string::npos);
  CHECK(WIFSIGNALED(status));
  if (WIFSIGNALED(status)) CHECK(WTERMSIG(status) == SIGSEGV);
}

#if defined(__SANITIZE_THREAD__)
#define ZIO_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ZIO_TEST_TSAN 1
#endif
#endif

// Not under TSan: its runtime maps a 512 KiB shadow stack per fiber, one VMA each, so TSan
// itself runs out of mappings long before zio does. Release and ASan builds run it.
#ifndef ZIO_TEST_TSAN
TEST_CASE("Coroutine: more live fibers than guarded stacks fit under vm.max_map_count",
          "[coro][stack]") {
  std::size_t max_map_count = 65530;
  std::ifstream("/proc/sys/vm/max_map_count") >> max_map_count;
  // Each guarded stack takes two mappings: this many cannot all be guarded.
  const std::size_t fibers = max_map_count / 2 + 2000;
  zio::Runtime rt({.stack_size = 32 * 1024, .max_cached_stacks = 16});
  std::size_t peak = rt.block_on([fibers] {
    std::atomic<std::size_t> alive{0}, peak_alive{0};
    auto gate = zio::spawn([&] {
      zio::test::yield_until([&] { return alive.load() == fibers; });
      peak_alive = alive.load();
    });
    std::vector<zio::JoinHandle<void>> handles;
    handles.reserve(fibers);
    for (std::size_t i = 0; i < fibers; ++i) {
      handles.push_back(zio::spawn([&] {
        alive.fetch_add(1);
        gate.wait();  // every fiber holds its stack here until all are alive
        alive.fetch_sub(1);
      }));
    }
    for (auto& h : handles) h.join();
    gate.join();
    return peak_alive.load();
  });
  CHECK(peak == fibers);
}
#endif  // ZIO_TEST_TSAN
