// The code samples of docs/runtime.md. Each region between `// [sample: NAME]` and
// `// [end sample]` is copied verbatim into the guide (scripts/check_samples.py fails the
// test run when the two differ), and the test cases around the regions run them, so the
// guide's samples compile and do what the text says.
#include <catch2/catch.hpp>
#include <zio/zio.hpp>

#include <atomic>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

std::atomic<int> flushes{0};
void flush_and_close() {
  zio::sleep_for(1ms);  // a blocking call: the shield is what lets it complete
  ++flushes;
}

std::string ask_server() {
  zio::sleep_for(1h);  // a server that never answers
  return "answer";
}

std::atomic<int> fetched{0};
void fetch(const std::string& url) {
  zio::sleep_for(1ms);
  if (!url.empty()) ++fetched;
}

}  // namespace

TEST_CASE("docs/runtime: creating runtimes and block_on") {
  // [sample: runtime]
  zio::Runtime rt;                                   // one executor per core (the default)
  zio::Runtime rt4({.executors = 4});                // four executor threads
  int answer = rt.block_on([] { return 42; });       // run a root fiber to completion
  // [end sample]
  CHECK(rt.options().executors == zio::default_executors());
  CHECK(answer == 42);
  CHECK(rt4.block_on([] { return 7; }) == 7);
}

TEST_CASE("docs/runtime: spawn and join") {
  zio::Runtime rt({.executors = 1});
  rt.block_on([&rt] {
    // [sample: tasks]
    zio::JoinHandle<int> h = zio::spawn([](int x) { return x + 1; }, 41);   // from a fiber
    zio::JoinHandle<int> g = rt.spawn([] { return 1; });                     // from any thread
    int v = h.join();        // the value, or the fiber's exception rethrown
    // [end sample]
    CHECK(v == 42);
    CHECK(g.join() == 1);
  });
}

TEST_CASE("docs/runtime: a shield lets cleanup finish under cancellation") {
  zio::Runtime rt({.executors = 1});
  rt.block_on([] {
    auto task = zio::spawn([] {
      // [sample: shield]
      {
        zio::Shield shield;      // cancellation and deadlines wait until the scope ends
        flush_and_close();
      }
      // [end sample]
      zio::sleep_for(1h);  // cancellation arrives here, after the shield
    });
    zio::yield();  // let the task enter its shield
    task.cancel();
    CHECK_THROWS_AS(task.join(), zio::Canceled);
  });
  CHECK(flushes == 1);
}

TEST_CASE("docs/runtime: with_timeout") {
  zio::Runtime rt({.executors = 1});
  std::string got = rt.block_on([] {
    // [sample: timeout]
    std::string reply;
    try {
      reply = zio::with_timeout(2s, [] { return ask_server(); });
    } catch (const zio::TimedOut&) {
      reply = "no answer in 2 s";
    }
    // [end sample]
    return reply;
  });
  CHECK(got == "no answer in 2 s");
}

TEST_CASE("docs/runtime: nested timeouts") {
  zio::Runtime rt({.executors = 1});
  rt.block_on([] {
    auto run = [] {
      // [sample: nested_timeouts]
      zio::with_timeout(10ms, [] {
        try { zio::with_timeout(1h, [] { zio::sleep_for(1h); }); }
        catch (const zio::Canceled&) { /* the outer deadline: passes through */ throw; }
      });   // throws TimedOut
      // [end sample]
    };
    CHECK_THROWS_AS(run(), zio::TimedOut);
  });
}

TEST_CASE("docs/runtime: task groups") {
  zio::Runtime rt({.executors = 2});
  std::vector<std::string> urls{"a", "b", "c"};
  rt.block_on([&] {
    // [sample: task_group]
    zio::TaskGroup group;
    for (auto& url : urls) group.spawn(fetch, url);
    group.wait();   // rethrows the first failure; that failure cancelled the others
    // [end sample]
  });
  CHECK(fetched == 3);
}
