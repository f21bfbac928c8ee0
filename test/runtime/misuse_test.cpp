#include <zio/zio.hpp>

#include "support/runtime.hpp"

#include <stdexcept>
#include <string>

using Catch::Matchers::Contains;
using namespace std::chrono_literals;

TEST_CASE("misuse: zero executors is rejected with the option's name", "[runtime][misuse]") {
  CHECK_THROWS_MATCHES(zio::Runtime({.executors = 0}), std::invalid_argument,
                       Catch::Matchers::Predicate<std::invalid_argument>([](const auto& e) {
                         return std::string(e.what()).find("executors") != std::string::npos;
                       }));
}

TEST_CASE("misuse: a zero or tiny stack size is rejected", "[runtime][misuse]") {
  CHECK_THROWS_WITH(zio::Runtime({.stack_size = 0}), Contains("stack_size"));
  CHECK_THROWS_WITH(zio::Runtime({.stack_size = 100}), Contains("at least"));
}

TEST_CASE("misuse: fiber-only calls from a plain thread name the call", "[runtime][misuse]") {
  CHECK_THROWS_AS(zio::yield(), zio::NotInFiber);
  CHECK_THROWS_WITH(zio::yield(), Contains("zio::yield"));
  CHECK_THROWS_WITH(zio::sleep_for(1ms), Contains("zio::sleep"));
  CHECK_THROWS_WITH(zio::spawn([] {}), Contains("zio::spawn"));
  CHECK_THROWS_WITH(zio::with_timeout(1s, [] {}), Contains("zio::with_timeout"));
  CHECK_THROWS_WITH(zio::TaskGroup(), Contains("zio::TaskGroup"));
  try {
    zio::yield();
  } catch (const zio::NotInFiber& e) {
    CHECK(e.code() == zio::errc::not_in_fiber);
  }
}

TEST_CASE("misuse: block_on inside a fiber is an error, not a deadlock", "[runtime][misuse]") {
  const std::size_t executors = GENERATE(1, 4);
  zio::Runtime rt({.executors = executors});
  std::string message = rt.block_on([&] {
    try {
      rt.block_on([] {});
    } catch (const std::logic_error& e) {
      return std::string(e.what());
    }
    return std::string();
  });
  CHECK_THAT(message, Contains("block_on"));
}

TEST_CASE("misuse: a task joining itself gets an error", "[runtime][misuse]") {
  const std::size_t executors = GENERATE(1, 4);
  std::string message = zio::test::run_in_runtime(executors, [] {
    zio::JoinHandle<std::string> self;
    std::atomic<bool> ready{false};
    self = zio::spawn([&] {
      zio::test::yield_until([&] { return ready.load(); });
      try {
        self.wait();
      } catch (const std::logic_error& e) {
        return std::string(e.what());
      }
      return std::string();
    });
    ready = true;
    return self.join();
  });
  CHECK_THAT(message, Contains("cannot join itself"));
}

TEST_CASE("misuse: join of an empty handle throws", "[runtime][misuse]") {
  zio::JoinHandle<int> empty;
  CHECK_THROWS_AS(empty.join(), std::logic_error);
  CHECK_FALSE(empty);
  CHECK(empty.id() == 0);
}
