#pragma once
// The one chat room every client joins: nicknames and the broadcast of every line.
#include <zio/sync/broadcast_channel.hpp>
#include <zio/sync/mutex.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace chat {

/// A line for the room. `sender` is the client it comes from (its own writer skips it), 0 for
/// the server itself.
struct Event {
  std::uint64_t sender = 0;
  std::string line;
};

struct Member {
  std::uint64_t id;
  std::string nick;
};

class Room {
 public:
  /// `max_clients` members at most; the broadcast keeps the last `backlog` lines, so a reader
  /// that falls further behind is told how many it missed.
  Room(std::size_t max_clients, std::size_t backlog);

  /// A new member with a unique guest nick, or nullopt when the room is full.
  std::optional<Member> join();
  /// Removes the member (its nick becomes free).
  void leave(const Member& member);
  /// Renames `member` to `nick`; returns an error for the client, or "" on success.
  std::string rename(Member& member, const std::string& nick);
  /// The nicks present, sorted, separated by spaces.
  std::string who();
  std::size_t size();

  /// Sends `line` to every subscriber (the sender's own writer skips it). After close(), a
  /// no-op.
  void broadcast(std::uint64_t sender, std::string line);
  zio::BroadcastReceiver<Event> subscribe() { return events_.subscribe(); }
  /// Sends a last line from the server and ends every subscriber once it drained.
  void close(std::string last_line);

 private:
  const std::size_t max_clients_;
  zio::Mutex mutex_;
  std::map<std::string, std::uint64_t> nicks_;  // guarded by mutex_
  std::uint64_t next_id_ = 1;                   // guarded by mutex_
  std::uint64_t next_guest_ = 1;                // guarded by mutex_
  bool closed_ = false;                         // guarded by mutex_
  zio::BroadcastChannel<Event> events_;
};

}  // namespace chat
