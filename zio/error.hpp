#pragma once
/// zio's error codes and exceptions.
///
/// Every operation that can fail at run time comes in two forms, as in Asio: one throws
/// `zio::system_error`, the other sets a `boost::system::error_code&`. zio's own failures are
/// `zio::errc` values; `errc::canceled` and `errc::timed_out` compare equal to the generic
/// conditions, so `ec == boost::system::errc::operation_canceled` also catches Asio's
/// `operation_aborted`.

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace zio {

using boost::system::error_code;
using boost::system::system_error;

/// zio's own error values.
enum class errc {
  canceled = 1,     ///< the fiber was cancelled while it waited
  timed_out,        ///< a `with_timeout` deadline passed
  closed,           ///< the object (channel, runtime) was closed
  runtime_stopped,  ///< the runtime is shutting down and takes no new work
  not_in_fiber,     ///< a fiber-only call was made from a plain thread
  lagged,           ///< a broadcast receiver fell behind and missed messages
};

/// The category of `zio::errc`.
const boost::system::error_category& zio_category() noexcept;

inline error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), zio_category()};
}

namespace detail {
/// A system_error whose what() is exactly the text given (Boost appends " [category:value]"
/// and the code's message, which makes zio's own messages hard to read).
class PlainSystemError : public system_error {
 public:
  PlainSystemError(errc code, std::string what) : system_error(make_error_code(code)), what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};
}  // namespace detail

/// Thrown by a blocking call when its fiber was cancelled (`JoinHandle::cancel`, a
/// `TaskGroup` failure, runtime shutdown) or a `with_timeout` deadline around it passed. Let
/// it propagate: the fiber's stack unwinds and RAII cleans up. A cancel is sticky, so the next
/// blocking call throws again. `code()` is `errc::canceled`.
class Canceled : public detail::PlainSystemError {
 public:
  Canceled() : Canceled("operation canceled") {}
  explicit Canceled(std::string what) : PlainSystemError(errc::canceled, std::move(what)) {}
};

/// Thrown by `with_timeout` when its own deadline passed before the work finished.
/// `code()` is `errc::timed_out`.
class TimedOut : public detail::PlainSystemError {
 public:
  TimedOut() : TimedOut("operation timed out") {}
  explicit TimedOut(std::string what) : PlainSystemError(errc::timed_out, std::move(what)) {}
};

/// Thrown when a fiber-only call is made from a plain thread; the message names the call and
/// the fix. `code()` is `errc::not_in_fiber`.
class NotInFiber : public detail::PlainSystemError {
 public:
  explicit NotInFiber(const std::string& call)
      : PlainSystemError(errc::not_in_fiber,
                         call + " must be called from a fiber (inside Runtime::block_on or a spawned task)") {}
};

/// Thrown by a broadcast receiver that fell more than the channel's capacity behind: it
/// missed `missed()` messages and continues from the oldest one still kept.
class Lagged : public detail::PlainSystemError {
 public:
  explicit Lagged(std::uint64_t missed)
      : PlainSystemError(errc::lagged, "zio::BroadcastReceiver: fell behind and missed " + std::to_string(missed) +
                                           " messages"),
        missed_(missed) {}
  std::uint64_t missed() const noexcept { return missed_; }

 private:
  std::uint64_t missed_;
};

namespace detail {
/// Throws the exception that matches `ec`: `Canceled`, `TimedOut` or `system_error`.
[[noreturn]] void throw_error(const error_code& ec, const char* what = nullptr);
}  // namespace detail

}  // namespace zio

template <>
struct boost::system::is_error_code_enum<zio::errc> : std::true_type {};
