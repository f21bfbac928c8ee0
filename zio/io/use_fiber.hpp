#pragma once
/// `zio::use_fiber`: a completion token that makes any Boost.Asio asynchronous operation a
/// blocking call of the calling fiber.
///
///     std::size_t n = socket.async_read_some(buffer, zio::use_fiber);      // throws
///     std::size_t n = socket.async_read_some(buffer, zio::use_fiber[ec]);  // sets ec
///     timer.async_wait(zio::use_fiber.until(deadline));                   // own deadline
///
/// Only the calling fiber waits; its executor runs others meanwhile. The handler's arguments
/// become the result: a leading error_code is thrown as system_error (or stored in `ec`), a
/// leading exception_ptr is rethrown, one remaining value is returned as is, several as a
/// std::tuple.
///
/// Cancellation: when the fiber is cancelled or a with_timeout around it fires, zio emits a
/// terminal cancellation through the operation's cancellation slot, waits for the operation
/// to finish, and reports Canceled (errc::canceled) if it was aborted; an operation that
/// completed anyway returns its result (the cancel stays pending for the next blocking call).
/// Past an `until` deadline, the same with TimedOut (errc::timed_out). Operations that ignore
/// cancellation slots are waited for to the end. Fiber only: throws NotInFiber otherwise.
///
/// Asio 1.81 trap: on a raw Asio stream socket, a read that follows a read that returned eof
/// may never complete (its epoll reactor waits for an event the closed peer never sends).
/// Stop reading at eof, or use zio's streams (zio::net::TcpStream, UnixStream): they keep
/// answering eof.
#include <zio/detail/async_waiter.hpp>

#include <boost/asio/async_result.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace zio {

/// The type of zio::use_fiber.
class UseFiber {
 public:
  constexpr UseFiber() noexcept = default;

  /// The same token, reporting errors through `ec` instead of throwing.
  constexpr UseFiber operator[](error_code& ec) const noexcept { return UseFiber(&ec, deadline_); }

  /// The same token, cancelling the operation at `deadline` with errc::timed_out.
  constexpr UseFiber until(std::chrono::steady_clock::time_point deadline) const noexcept {
    UseFiber token(ec_, deadline_);
    token.deadline_ = deadline;
    return token;
  }

  error_code* error_out() const noexcept { return ec_; }
  const std::chrono::steady_clock::time_point* deadline() const noexcept {
    return deadline_ ? &*deadline_ : nullptr;
  }

 private:
  constexpr UseFiber(error_code* ec, std::optional<std::chrono::steady_clock::time_point> deadline) noexcept
      : ec_(ec), deadline_(deadline) {}

  error_code* ec_ = nullptr;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

/// Completion token: suspend the calling fiber until the operation completes.
inline constexpr UseFiber use_fiber{};

/// The Asio io_context of the executor running the calling fiber: where to create the Asio
/// objects (timers, sockets, resolvers) a fiber awaits with use_fiber. The object stays bound
/// to that io_context; a fiber that migrates meanwhile is still woken correctly. Fiber only:
/// throws NotInFiber otherwise.
inline boost::asio::io_context& current_io_context() { return detail::current_io("zio::current_io_context"); }

namespace detail {

/// The handler zio::use_fiber passes to an operation: stores the arguments in the waiting
/// fiber's frame and wakes it.
template <typename... Ts>
class FiberHandler {
 public:
  using Results = std::tuple<std::decay_t<Ts>...>;
  using cancellation_slot_type = boost::asio::cancellation_slot;

  FiberHandler(AsyncWaiter& waiter, std::optional<Results>& results) noexcept : waiter_(&waiter), results_(&results) {}

  cancellation_slot_type get_cancellation_slot() const noexcept { return waiter_->slot(); }

  template <typename... Args>
  void operator()(Args&&... args) {
    results_->emplace(std::forward<Args>(args)...);
    waiter_->complete();
  }

 private:
  AsyncWaiter* waiter_;
  std::optional<Results>* results_;
};

/// Starts the operation. Out of line on purpose: Asio's initiation reads thread-locals and
/// errno, and a fiber may resume on another thread; code inlined into the caller could reuse
/// the first thread's addresses after the wait (see DESIGN.md, "TLS caching").
template <typename Handler, typename Initiation, typename... Args>
[[gnu::noinline]] void start_operation(Initiation& initiation, Handler handler, Args&&... args) {
  std::move(initiation)(std::move(handler), std::forward<Args>(args)...);
}

template <typename Initiation>
boost::asio::any_io_executor operation_executor(const Initiation& initiation) {
  if constexpr (requires { initiation.get_executor(); }) {
    return initiation.get_executor();
  } else {
    return current_io("zio::use_fiber").get_executor();
  }
}

template <typename... Ts>
struct FirstOf {
  using type = void;
};
template <typename T, typename... Ts>
struct FirstOf<T, Ts...> {
  using type = std::decay_t<T>;
};

/// The call's result for handler arguments Ts...: void, the one value, or a tuple.
template <typename... Ts>
struct FiberResult {
  using Values = std::tuple<std::decay_t<Ts>...>;
  using type = std::conditional_t<sizeof...(Ts) == 0, void,
                                  std::conditional_t<sizeof...(Ts) == 1, typename FirstOf<Ts...>::type, Values>>;

  static type take(Values&& values) {
    if constexpr (sizeof...(Ts) == 1) {
      return std::get<0>(std::move(values));
    } else if constexpr (sizeof...(Ts) > 1) {
      return std::move(values);
    }
  }
};

/// The result when the first handler argument (an error_code or exception_ptr) is taken out.
template <typename First, typename... Rest>
struct ResultAfterFirst {
  using type = FiberResult<Rest...>;
  static std::tuple<std::decay_t<Rest>...> rest(std::tuple<std::decay_t<First>, std::decay_t<Rest>...>&& all) {
    return std::apply([](auto&&, auto&&... rest) { return std::tuple<std::decay_t<Rest>...>(std::move(rest)...); },
                      std::move(all));
  }
};

}  // namespace detail
}  // namespace zio

template <typename R, typename... Ts>
class boost::asio::async_result<zio::UseFiber, R(Ts...)> {
  using First = typename zio::detail::FirstOf<Ts...>::type;
  static constexpr bool has_error_code = std::is_same_v<First, zio::error_code>;
  static constexpr bool has_exception = std::is_same_v<First, std::exception_ptr>;
  static constexpr bool has_status = has_error_code || has_exception;
  using Results = std::tuple<std::decay_t<Ts>...>;

  template <bool HasStatus, typename Dummy = void>
  struct Shape {  // no status argument: every argument is a value
    using Result = zio::detail::FiberResult<Ts...>;
    static typename Result::type take(Results&& all) { return Result::take(std::move(all)); }
  };
  template <typename Dummy>
  struct Shape<true, Dummy> {  // the first argument is the status
    using After = zio::detail::ResultAfterFirst<Ts...>;
    using Result = typename After::type;
    static typename Result::type take(Results&& all) { return Result::take(After::rest(std::move(all))); }
  };
  using Values = Shape<has_status>;

 public:
  using return_type = typename Values::Result::type;

  template <typename Initiation, typename... Args>
  static return_type initiate(Initiation&& initiation, zio::UseFiber token, Args&&... args) {
    zio::detail::TaskBase& task = zio::detail::TaskBase::current_or_throw("zio::use_fiber");
    zio::error_code why = zio::detail::enter_blocking_call();
    std::optional<Results> results;
    if (!why) {
      zio::detail::AsyncWaiter waiter(task, zio::detail::operation_executor(initiation));
      zio::detail::start_operation<zio::detail::FiberHandler<Ts...>>(
          initiation, zio::detail::FiberHandler<Ts...>(waiter, results), std::forward<Args>(args)...);
      why = waiter.wait(token.deadline());
    }
    zio::error_code ec = why;
    if (results) {
      if constexpr (has_error_code) {
        ec = std::get<0>(*results);
        if (why && ec) ec = why;  // a cancellation that took effect is reported as zio's own error
      } else {
        ec.clear();
      }
    }
    if (ec) {
      zio::error_code* out = token.error_out();
      if constexpr (std::is_void_v<return_type>) {
        if (out) {
          *out = ec;
          return;
        }
      } else if constexpr (std::is_default_constructible_v<return_type>) {
        if (out) {
          *out = ec;
          return results ? Values::take(std::move(*results)) : return_type{};
        }
      }
      // Throwing form, or no value can be made up for the error form.
      zio::detail::throw_error(ec, "zio::use_fiber");
    }
    if (zio::error_code* out = token.error_out()) out->clear();
    if constexpr (has_exception) {
      if (std::get<0>(*results)) std::rethrow_exception(std::get<0>(*results));
    }
    return Values::take(std::move(*results));
  }
};
