#include "room.hpp"

#include <mutex>

namespace chat {

Room::Room(std::size_t max_clients, std::size_t backlog) : max_clients_(max_clients), events_(backlog) {}

std::optional<Member> Room::join() {
  std::lock_guard lock(mutex_);
  if (closed_ || nicks_.size() >= max_clients_) return std::nullopt;
  std::string nick;
  do {
    nick = "guest" + std::to_string(next_guest_++);
  } while (nicks_.contains(nick));  // someone may have renamed themselves "guest7"
  const std::uint64_t id = next_id_++;
  nicks_.emplace(nick, id);
  return Member{id, nick};
}

void Room::leave(const Member& member) {
  std::lock_guard lock(mutex_);
  auto it = nicks_.find(member.nick);
  if (it != nicks_.end() && it->second == member.id) nicks_.erase(it);
}

std::string Room::rename(Member& member, const std::string& nick) {
  std::lock_guard lock(mutex_);
  if (nick == member.nick) return "";
  if (nicks_.contains(nick)) return "nick " + nick + " is taken";
  nicks_.erase(member.nick);
  nicks_.emplace(nick, member.id);
  member.nick = nick;
  return "";
}

std::string Room::who() {
  std::lock_guard lock(mutex_);
  std::string list;
  for (const auto& [nick, id] : nicks_) list += (list.empty() ? "" : " ") + nick;
  return list;
}

std::size_t Room::size() {
  std::lock_guard lock(mutex_);
  return nicks_.size();
}

void Room::broadcast(std::uint64_t sender, std::string line) {
  std::lock_guard lock(mutex_);  // orders lines with close()
  if (!closed_) events_.send(Event{sender, std::move(line)});
}

void Room::close(std::string last_line) {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  closed_ = true;
  events_.send(Event{0, std::move(last_line)});
  events_.close();
}

}  // namespace chat
