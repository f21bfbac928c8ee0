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

#include <string>
#include <type_traits>

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
};

/// The category of `zio::errc`.
const boost::system::error_category& zio_category() noexcept;

inline error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), zio_category()};
}

/// Thrown by a blocking call when its fiber was cancelled (`JoinHandle::cancel`, a
/// `TaskGroup` failure or runtime shutdown). Let it propagate: the fiber's stack unwinds and
/// RAII cleans up. The cancel is sticky, so the next blocking call throws again.
class Canceled : public system_error {
 public:
  Canceled() : system_error(make_error_code(errc::canceled)) {}
  explicit Canceled(const std::string& what) : system_error(make_error_code(errc::canceled), what) {}
};

/// Thrown by `with_timeout` when its deadline passed before the work finished, and by the
/// blocking call inside that work that the deadline interrupted.
class TimedOut : public system_error {
 public:
  TimedOut() : system_error(make_error_code(errc::timed_out)) {}
  explicit TimedOut(const std::string& what) : system_error(make_error_code(errc::timed_out), what) {}
};

/// Thrown when a fiber-only call is made from a plain thread; the message names the call.
class NotInFiber : public system_error {
 public:
  explicit NotInFiber(const std::string& call)
      : system_error(make_error_code(errc::not_in_fiber),
                     call + " must be called from a fiber (run it inside Runtime::block_on or a spawned task)") {}
};

namespace detail {
/// Throws the exception that matches `ec`: `Canceled`, `TimedOut` or `system_error`.
[[noreturn]] void throw_error(const error_code& ec, const char* what = nullptr);
}  // namespace detail

}  // namespace zio

template <>
struct boost::system::is_error_code_enum<zio::errc> : std::true_type {};
