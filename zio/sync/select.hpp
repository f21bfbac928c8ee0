#pragma once
/// Go's select over channel operations.
#include <zio/runtime/this_task.hpp>
#include <zio/sync/channel.hpp>

#include <array>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace zio {

/// A select case that receives from `channel`; `handler(std::optional<T>)` runs with the
/// value, or with an empty optional when the channel is closed and drained.
template <typename T, typename F>
struct ReceiveCase {
  Channel<T>* channel;  // nullptr: the case is switched off
  F handler;
  std::optional<T> slot{};
};
template <typename T, typename F>
ReceiveCase<T, F> on_receive(Channel<T>& channel, F handler) {
  return {&channel, std::move(handler)};
}
/// As above; a null `channel` switches the case off (it never fires), like a receive from
/// Go's nil channel: a loop sets a channel's pointer to null once it saw it closed.
template <typename T, typename F>
ReceiveCase<T, F> on_receive(Channel<T>* channel, F handler) {
  return {channel, std::move(handler)};
}

/// A select case that sends `value` on `channel`; `handler()` runs once it was sent. If the
/// channel is closed, select throws system_error(errc::closed) instead.
template <typename T, typename F>
struct SendCase {
  Channel<T>* channel;  // nullptr: the case is switched off
  T value;
  F handler;
};
template <typename T, typename F>
SendCase<T, F> on_send(Channel<T>& channel, T value, F handler) {
  return {&channel, std::move(value), std::move(handler)};
}
/// As above; a null `channel` switches the case off (the value is never sent).
template <typename T, typename F>
SendCase<T, F> on_send(Channel<T>* channel, T value, F handler) {
  return {channel, std::move(value), std::move(handler)};
}

/// Fires `handler()` when no channel case completed within `timeout`.
template <typename F>
struct TimeoutCase {
  Clock::time_point deadline;
  F handler;
};
template <typename Rep, typename Period, typename F>
TimeoutCase<F> on_timeout(std::chrono::duration<Rep, Period> timeout, F handler) {
  return {detail::deadline_after(timeout), std::move(handler)};
}

/// Makes select non-blocking: `handler()` runs when no channel case can complete at once.
template <typename F>
struct DefaultCase {
  F handler;
};
template <typename F>
DefaultCase<F> on_default(F handler) {
  return {std::move(handler)};
}

namespace detail {
template <typename C>
struct is_channel_case : std::false_type {};
template <typename T, typename F>
struct is_channel_case<ReceiveCase<T, F>> : std::true_type {};
template <typename T, typename F>
struct is_channel_case<SendCase<T, F>> : std::true_type {};
template <typename C>
struct is_timeout_case : std::false_type {};
template <typename F>
struct is_timeout_case<TimeoutCase<F>> : std::true_type {};
template <typename C>
struct is_default_case : std::false_type {};
template <typename F>
struct is_default_case<DefaultCase<F>> : std::true_type {};

template <typename T, typename F>
SelectCase describe(ReceiveCase<T, F>& c) {
  return {c.channel ? &ChannelAccess::core(*c.channel) : nullptr, false, &c.slot};
}
template <typename T, typename F>
SelectCase describe(SendCase<T, F>& c) {
  return {c.channel ? &ChannelAccess::core(*c.channel) : nullptr, true, &c.value};
}

template <typename T, typename F>
void fire(ReceiveCase<T, F>& c, const SelectCase&) {
  c.handler(std::move(c.slot));
}
template <typename T, typename F>
void fire(SendCase<T, F>& c, const SelectCase& d) {
  if (d.closed) throw system_error(make_error_code(errc::closed), "zio::select: send on a closed channel");
  c.handler();
}
}  // namespace detail

/// Waits until one of the cases can complete, completes exactly that one, and runs its
/// handler; the other cases leave no trace (nothing is sent or taken). When several are
/// ready, one is picked fairly. With on_default the select never waits; with on_timeout it
/// waits at most that long; with neither, and every case switched off (null channels), it
/// waits until cancelled, as Go's does. Returns the position of the case that fired among
/// the arguments. Fiber or thread. Throws Canceled when the waiting fiber is cancelled. Like
/// every blocking call it spends one unit of the fiber's cooperative budget, even when a
/// case is ready at once, so a loop over select lets the executor's other fibers run.
template <typename... Cases>
std::size_t select(Cases&&... cases) {
  auto all = std::forward_as_tuple(cases...);
  constexpr std::size_t channel_count = (std::size_t{0} + ... + detail::is_channel_case<std::decay_t<Cases>>::value);
  constexpr std::size_t timeouts = (std::size_t{0} + ... + detail::is_timeout_case<std::decay_t<Cases>>::value);
  constexpr std::size_t defaults = (std::size_t{0} + ... + detail::is_default_case<std::decay_t<Cases>>::value);
  static_assert(channel_count + timeouts + defaults == sizeof...(Cases), "zio::select takes on_receive, on_send, on_timeout and on_default cases");
  static_assert(timeouts <= 1 && defaults <= 1 && timeouts + defaults <= 1,
                "zio::select: at most one on_timeout or one on_default");

  std::array<detail::SelectCase, channel_count> described{};
  const Clock::time_point* deadline = nullptr;
  Clock::time_point deadline_value{};
  {
    std::size_t next = 0;
    std::size_t index = 0;
    auto collect = [&](auto& c) {
      using C = std::decay_t<decltype(c)>;
      if constexpr (detail::is_channel_case<C>::value) {
        described[next++] = detail::describe(c);
      } else if constexpr (detail::is_timeout_case<C>::value) {
        deadline_value = c.deadline;
        deadline = &deadline_value;
      }
      ++index;
    };
    std::apply([&](auto&... c) { (collect(c), ...); }, all);
  }
  const int fired = detail::select_cases(described.data(), channel_count, deadline, defaults != 0);

  // Run the handler of the case that fired.
  std::size_t fired_position = 0;
  std::size_t channel_index = 0;
  std::size_t index = 0;
  auto dispatch = [&](auto& c) {
    using C = std::decay_t<decltype(c)>;
    if constexpr (detail::is_channel_case<C>::value) {
      if (fired >= 0 && static_cast<std::size_t>(fired) == channel_index) {
        fired_position = index;
        detail::fire(c, described[channel_index]);
      }
      ++channel_index;
    } else if constexpr (detail::is_timeout_case<C>::value) {
      if (fired == -2) {
        fired_position = index;
        c.handler();
      }
    } else {
      if (fired == -1) {
        fired_position = index;
        c.handler();
      }
    }
    ++index;
  };
  std::apply([&](auto&... c) { (dispatch(c), ...); }, all);
  return fired_position;
}

}  // namespace zio
