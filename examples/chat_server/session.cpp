#include "session.hpp"

#include "protocol.hpp"

#include <zio/runtime/spawn.hpp>
#include <zio/runtime/this_task.hpp>
#include <zio/runtime/timeout.hpp>
#include <zio/sync/mutex.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

namespace chat {
namespace {

constexpr std::string_view help = "commands: /nick NAME, /who, /me ACTION, /quit";

/// A token bucket: `rate` tokens a second, at most `burst` saved up.
class RateLimit {
 public:
  RateLimit(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  bool take() {
    const auto now = zio::Clock::now();
    tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
    last_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  zio::Clock::time_point last_ = zio::Clock::now();
};

/// Both fibers write to the client: one line at a time.
class Writer {
 public:
  explicit Writer(Connection& client) : client_(client) {}
  void line(std::string_view text) {
    std::lock_guard lock(mutex_);
    client_.write_line(text);
  }

 private:
  Connection& client_;
  zio::Mutex mutex_;
};

// The writer fiber: relays the room's lines until the room closes or the client is gone.
// [sample: relay]
void relay(zio::BroadcastReceiver<Event> events, std::uint64_t self, Writer& out, Connection& client) {
  try {
    for (;;) {
      zio::error_code ec;
      std::optional<Event> event = events.receive(ec);
      if (ec == zio::errc::lagged) {
        out.line("* you missed " + std::to_string(events.missed()) + " messages");
        continue;
      }
      if (ec) zio::detail::throw_error(ec, "chat: relay");
      if (!event) break;  // the room closed (its last line was sent already)
      if (event->sender != self) out.line(event->line);
    }
  } catch (const zio::Canceled&) {
    throw;
  } catch (const std::exception& e) {
    // Blocked past the write limit, or gone: disconnect; the reader sees the end.
    spdlog::info("{}: disconnecting: {}", client.peer(), e.what());
  }
  client.shutdown();
}
// [end sample]

}  // namespace

void serve(Room& room, Connection& client, const SessionLimits& limits) {
  std::optional<Member> joined = room.join();
  if (!joined) {
    client.write_line("! server full");
    return;
  }
  Member& me = *joined;
  struct Leave {
    Room& room;
    Member& me;
    ~Leave() {
      // Runs while a cancelled session unwinds too: the shield keeps the room's mutex from
      // throwing Canceled out of this destructor (that was std::terminate, seen under ASan).
      zio::Shield shield;
      room.leave(me);
      room.broadcast(0, "* " + me.nick + " left");
    }
  };
  Writer out(client);
  // Subscribe before the welcome: every line after it reaches this client.
  auto relayer = zio::spawn(relay, room.subscribe(), me.id, std::ref(out), std::ref(client));
  struct StopRelay {
    zio::JoinHandle<void>& handle;
    ~StopRelay() {
      handle.cancel();
      zio::Shield shield;  // wait for it even when this fiber is being cancelled
      handle.wait();
    }
  } stop_relay{relayer};
  out.line("* welcome, you are " + me.nick + "; " + std::string(help));
  room.broadcast(me.id, "* " + me.nick + " joined");
  Leave leave{room, me};
  spdlog::info("{} joined as {}", client.peer(), me.nick);

  RateLimit rate(limits.lines_per_second, limits.burst);
  try {
    while (auto raw = client.read_line()) {
      const std::string line = sanitize(*raw);
      if (line.empty()) continue;
      if (!rate.take()) {
        out.line("! slow down: line dropped");
        continue;
      }
      const Command command = parse_command(line);
      switch (command.kind) {
        case Command::Kind::say:
          room.broadcast(me.id, me.nick + ": " + command.argument);
          break;
        case Command::Kind::me:
          if (command.argument.empty()) {
            out.line("! usage: /me ACTION");
          } else {
            room.broadcast(me.id, "* " + me.nick + " " + command.argument);
          }
          break;
        case Command::Kind::who:
          out.line("* here: " + room.who());
          break;
        case Command::Kind::nick: {
          if (!valid_nick(command.argument)) {
            out.line("! bad nick: use 1-32 letters, digits, _ or -");
            break;
          }
          const std::string old = me.nick;
          if (std::string error = room.rename(me, command.argument); !error.empty()) {
            out.line("! " + error);
          } else if (old != me.nick) {
            out.line("* you are now " + me.nick);
            room.broadcast(me.id, "* " + old + " is now " + me.nick);
          }
          break;
        }
        case Command::Kind::quit:
          out.line("* bye");
          return;
        case Command::Kind::unknown:
          out.line("! unknown command " + command.name + "; " + std::string(help));
          break;
      }
    }
  } catch (const LineTooLong&) {
    try {
      out.line("! line too long");
    } catch (const zio::Canceled&) {
      throw;
    } catch (const std::exception&) {
      // The client is gone anyway.
    }
  } catch (const zio::Canceled&) {
    throw;
  } catch (const std::exception& e) {
    spdlog::info("{}: {}", client.peer(), e.what());
  }
}

}  // namespace chat
