// The example chat server, end to end over loopback TCP.
#include "chat/chat_support.hpp"

#include "protocol.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

using namespace std::chrono_literals;
using chat::test::Client;
using chat::test::RunningServer;
using zio::test::run_in_runtime;

TEST_CASE("Chat: welcome, relay to the others only, announcements, commands", "[chat]") {
  const std::size_t executors = GENERATE(1, 4);
  run_in_runtime(executors, [] {
    RunningServer running({});
    auto a = running.connect();
    const std::string a_nick = a->welcome();
    CHECK(a_nick.starts_with("guest"));
    auto b = running.connect();
    const std::string b_nick = b->welcome();
    CHECK(b_nick != a_nick);
    CHECK(a->line() == "* " + b_nick + " joined");

    a->send("hello\r\n\n");  // \r dropped, the empty line ignored
    CHECK(b->line() == a_nick + ": hello");
    b->say("/who");
    CHECK(b->line() == "* here: " + std::min(a_nick, b_nick) + " " + std::max(a_nick, b_nick));
    b->say("/nick bob");
    CHECK(b->line() == "* you are now bob");
    CHECK(a->line() == "* " + b_nick + " is now bob");
    a->say("/nick bob");
    CHECK(a->line() == "! nick bob is taken");
    a->say("/nick no spaces allowed");
    CHECK(a->line().starts_with("! bad nick"));
    a->say("/nick " + std::string(33, 'x'));
    CHECK(a->line().starts_with("! bad nick"));
    a->say("/me waves");
    CHECK(b->line() == "* " + a_nick + " waves");
    a->say("/me");
    CHECK(a->line() == "! usage: /me ACTION");
    a->say("/dance");
    CHECK(a->line().starts_with("! unknown command /dance"));
    // The sender never gets its own line back: the next line it sees is b's.
    b->say("hi");
    CHECK(a->line() == "bob: hi");
    b->say("/quit");
    CHECK(b->line() == "* bye");
    CHECK(b->line() == "<eof>");
    CHECK(a->line() == "* bob left");
  });
}

TEST_CASE("Chat: control characters are removed and invalid UTF-8 replaced", "[chat]") {
  CHECK(chat::sanitize("a\x1b[31mred\x07\tb") == "a[31mred\tb");
  CHECK(chat::sanitize("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(chat::sanitize("bad \xff\xfe end") == "bad \xEF\xBF\xBD\xEF\xBF\xBD end");
  CHECK(chat::sanitize("\xc0\xaf") == "\xEF\xBF\xBD\xEF\xBF\xBD");           // overlong '/'
  CHECK(chat::sanitize("\xed\xa0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(chat::sanitize("\xc2\x9b" "x") == "x");  // C1 control (CSI)
  CHECK(chat::sanitize("\x7f") == "");
  run_in_runtime(1, [] {
    RunningServer running({});
    auto a = running.connect();
    const std::string a_nick = a->welcome();
    auto b = running.connect();
    b->welcome();
    a->line();  // b joined
    a->send("\x1b]0;pwned\x07ok \xff\n");
    CHECK(b->line() == a_nick + ": ]0;pwnedok \xEF\xBF\xBD");
    a->send("\x01\x02\x03\n");  // nothing left: ignored like an empty line
    a->say("next");
    CHECK(b->line() == a_nick + ": next");
  });
}

TEST_CASE("Chat: a line over the limit is refused and the connection closed", "[chat]") {
  run_in_runtime(1, [] {
    RunningServer running({.max_line = 64, .limits = {}});
    auto a = running.connect();
    a->welcome();
    a->say(std::string(65, 'x'));
    CHECK(a->line() == "! line too long");
    CHECK(a->line() == "<eof>");
    auto b = running.connect();
    b->welcome();
    b->say(std::string(64, 'y'));  // exactly the limit is fine
    b->say("/who");
    CHECK(b->line().starts_with("* here: "));
  });
}

TEST_CASE("Chat: beyond max clients the server says it is full", "[chat]") {
  run_in_runtime(1, [] {
    RunningServer running({.max_clients = 2, .limits = {}});
    auto a = running.connect();
    a->welcome();
    auto b = running.connect();
    b->welcome();
    auto c = running.connect();
    CHECK(c->line() == "! server full");
    CHECK(c->line() == "<eof>");
  });
}

TEST_CASE("Chat: a client over the rate limit has lines dropped", "[chat]") {
  run_in_runtime(1, [] {
    RunningServer running({.limits = {.lines_per_second = 1, .burst = 3}});
    auto a = running.connect();
    a->welcome();
    std::string burst;
    for (int i = 0; i < 5; ++i) burst += "/who\n";
    a->send(burst);
    int answered = 0;
    int dropped = 0;
    for (int i = 0; i < 5; ++i) {
      const std::string line = a->line();
      answered += line.starts_with("* here");
      dropped += line.starts_with("! slow down");
    }
    CHECK(answered >= 3);
    CHECK(dropped >= 1);
  });
}

TEST_CASE("Chat: many clients, every line reaches every other client once and in order", "[chat][stress]") {
  // 500 clients x 20 lines in release builds; sanitizers run the same protocol smaller.
  constexpr int clients = zio::detail::sanitized_build ? 60 : 500;
  constexpr int lines = 20;
  run_in_runtime(4, [] {
    RunningServer running(
        {.max_clients = 1000, .backlog = static_cast<std::size_t>(clients * lines + 100), .limits = {}});
    std::vector<std::unique_ptr<Client>> all;
    std::vector<std::string> nicks;
    for (int i = 0; i < clients; ++i) {
      all.push_back(running.connect());
      nicks.push_back(all.back()->welcome());
    }
    // Every client has joined: from now on each one sees everything.
    zio::Barrier ready(clients);
    std::atomic<int> failures{0};
    {
      zio::TaskGroup group;
      for (int i = 0; i < clients; ++i) {
        group.spawn([&, i] {
          Client& me = *all[i];
          auto sender = zio::spawn([&me, i] {
            for (int n = 0; n < lines; ++n) me.say("m " + std::to_string(i) + " " + std::to_string(n));
          });
          // Expect (clients - 1) * lines messages; skip the join announcements of later
          // clients. Per sender, numbers must come in order without gaps or repeats.
          std::map<int, int> next;
          int received = 0;
          while (received < (clients - 1) * lines) {
            const std::string text = me.line();
            if (text == "<eof>") break;
            if (text.starts_with("* ")) continue;
            const auto m = text.find(": m ");
            if (m == std::string::npos) continue;
            int from = 0;
            int n = 0;
            std::sscanf(text.c_str() + m + 4, "%d %d", &from, &n);
            if (from == i || next[from] != n) failures.fetch_add(1);
            next[from] = n + 1;
            ++received;
          }
          if (received != (clients - 1) * lines) failures.fetch_add(1);
          sender.join();
          ready.arrive_and_wait();
        });
      }
      group.wait();
    }
    CHECK(failures.load() == 0);
  });
}

TEST_CASE("Chat: a slow reader is lagged while the others lose nothing", "[chat]") {
  run_in_runtime(2, [] {
    RunningServer running({.write_timeout = 30s, .backlog = 256, .limits = {.lines_per_second = 1e6, .burst = 1e6}});
    auto slow = running.connect();
    slow->welcome();
    // The slow client stops reading until the others are done.
    auto talker = running.connect();
    const std::string talker_nick = talker->welcome();
    auto listener = running.connect();
    listener->welcome();
    // 15 MB in total, far more than the slow client's socket buffers hold. The talker keeps
    // at most 32 lines ahead of the reading listener, well inside the room's backlog of 256:
    // a reader that keeps up loses nothing, one that stopped falls behind.
    const std::string payload(3000, 'p');  // under the default line limit of 4096
    constexpr int count = 5000;
    zio::Semaphore window(32);
    auto reader = zio::spawn([&] {
      // However this ends, the talker must not wait for the window forever.
      struct OpenWindow {
        zio::Semaphore& window;
        ~OpenWindow() { window.release(count); }
      } open_window{window};
      for (int n = 0; n < count;) {
        const std::string text = listener->line();
        if (text == "<eof>") return -1;
        if (text.starts_with(talker_nick + ": ")) {
          if (text != talker_nick + ": " + std::to_string(n) + " " + payload) return -2;
          ++n;
          window.release();
        }
      }
      return count;
    });
    for (int n = 0; n < count; ++n) {
      window.acquire();
      talker->say(std::to_string(n) + " " + payload);
    }
    CHECK(reader.join() == count);
    // Now the slow client reads: somewhere it is told what it missed.
    bool told = false;
    for (int i = 0; i < count + 3 && !told; ++i) {
      const std::string text = slow->line();
      if (text == "<eof>") break;
      told = text.starts_with("* you missed ");
    }
    CHECK(told);
  });
}

TEST_CASE("Chat: a client blocked past the write limit is disconnected", "[chat]") {
  run_in_runtime(1, [] {
    RunningServer running({.write_timeout = 100ms, .limits = {.lines_per_second = 1e6, .burst = 1e6}});
    auto stuck = running.connect();
    const std::string stuck_nick = stuck->welcome();
    int small = 4096;
    ::setsockopt(stuck->stream().native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    auto talker = running.connect();
    talker->welcome();
    auto watcher = running.connect();
    watcher->welcome();
    const std::string payload(4000, 'q');
    // Talk until the server gives up on the stuck client and says it left.
    auto talk = zio::spawn([&] {
      for (int i = 0; i < 2000; ++i) {
        talker->say(payload);
        zio::yield();
      }
    });
    bool left = false;
    for (int i = 0; i < 5000 && !left; ++i) left = watcher->line() == "* " + stuck_nick + " left";
    talk.cancel();
    zio::test::ended_canceled(talk);
    CHECK(left);
  });
}

TEST_CASE("Chat: silent, half-line and reset clients cost the others nothing", "[chat]") {
  run_in_runtime(1, [] {
    RunningServer running({});
    auto a = running.connect();
    const std::string a_nick = a->welcome();
    auto b = running.connect();
    b->welcome();
    a->line();
    {
      auto silent = running.connect();  // connects and never says a word
      silent->welcome();
      auto half = running.connect();
      half->welcome();
      half->send("no end of line");  // then vanishes
      auto reset = running.connect();
      reset->welcome();
      reset->send("partial");
      linger hard{1, 0};  // close with RST
      ::setsockopt(reset->stream().native_handle(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    a->say("still here");
    std::string seen;
    for (int i = 0; i < 10 && seen != a_nick + ": still here"; ++i) seen = b->line();
    CHECK(seen == a_nick + ": still here");
  });
}
