#include <zio/error.hpp>

namespace zio {
namespace {

class ZioCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "zio"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::canceled: return "operation canceled";
      case errc::timed_out: return "operation timed out";
      case errc::closed: return "object is closed";
      case errc::runtime_stopped: return "runtime is shutting down";
      case errc::not_in_fiber: return "call requires a fiber";
      case errc::lagged: return "receiver lagged behind and missed messages";
    }
    return "unknown zio error";
  }

  // Lets `ec == boost::system::errc::operation_canceled` match both our cancel and timeout,
  // the way Asio's operation_aborted does.
  boost::system::error_condition default_error_condition(int value) const noexcept override {
    switch (static_cast<errc>(value)) {
      case errc::canceled: return boost::system::errc::operation_canceled;
      case errc::timed_out: return boost::system::errc::timed_out;
      default: return {value, *this};
    }
  }

  bool equivalent(int value, const boost::system::error_condition& cond) const noexcept override {
    if (static_cast<errc>(value) == errc::timed_out &&
        cond == boost::system::errc::operation_canceled) {
      return true;
    }
    return default_error_condition(value) == cond;
  }
};

}  // namespace

const boost::system::error_category& zio_category() noexcept {
  static const ZioCategory category;
  return category;
}

namespace detail {
void throw_error(const error_code& ec, const char* what) {
  if (ec == errc::canceled) throw what ? Canceled(std::string(what) + ": operation canceled") : Canceled();
  if (ec == errc::timed_out) throw what ? TimedOut(std::string(what) + ": operation timed out") : TimedOut();
  if (ec == errc::not_in_fiber) throw NotInFiber(what ? what : "this call");
  if (what) throw system_error(ec, what);
  throw system_error(ec);
}
}  // namespace detail

}  // namespace zio
