#pragma once
// One client's life in the room: welcome, commands, relaying, leaving.
#include "connection.hpp"
#include "room.hpp"

#include <chrono>

namespace chat {

struct SessionLimits {
  /// Lines a client may send per second on average, and in a burst; more are refused.
  double lines_per_second = 20;
  double burst = 40;
};

/// Serves `client` in `room` until it quits, disconnects, breaks a limit or the room closes.
/// Two fibers: this one reads and executes the client's lines; a writer fiber relays the
/// room's lines. A client that reads too slowly loses lines (and is told how many), never
/// slowing the others; one whose socket stays blocked past the write limit is disconnected.
/// Returns normally in all those cases; throws Canceled when cancelled.
void serve(Room& room, Connection& client, const SessionLimits& limits);

}  // namespace chat
