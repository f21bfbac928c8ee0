// SignalSet: OS signals fanned out to fibers.
//
// Design:
//  1. Each runtime has one SignalHub: an Asio service on executor 0's io_context (found with
//     use_service, so no runtime code knows about it). It owns the runtime's only
//     asio::signal_set and one "pump": an async_wait with a plain callback, re-armed after
//     each delivery, so receiving signals needs no fiber.
//  2. A SignalSet registers its State with the hub. The first set of the runtime using a
//     signal adds it to the asio set; the last one to go removes it.
//  3. Delivery (the pump's handler, on executor 0's thread, under the hub's mutex): every
//     State containing the signal gets it: handed straight to its longest waiter (node.data =
//     signal number), or, when nobody waits, counted in `pending`. A direct hand-off means a
//     woken waiter cannot lose its delivery to a wait() that barged in meanwhile.
//  4. Dispositions are process-wide, so is their bookkeeping (Dispositions): before the first
//     registration of a signal in the process, its sigaction is saved; after the last one is
//     removed (Asio then resets it to SIG_DFL), the saved one is reinstalled.
//  5. Runtime end: destroying executor 0's io_context shuts the service down: the hub removes
//     every registration (restoring dispositions as in 4), drops the asio set and marks the
//     States detached, waking any waiter with errc::runtime_stopped. A SignalSet outliving its
//     runtime is then inert, and its destructor does nothing.
//
// Lock order: hub mutex → Dispositions mutex → Asio's static signal mutex; hub mutex → State
// lock → the scheduler's queue locks (via WaitNode::notify). A waiter takes only its State's
// lock, so delivery never waits for a fiber.
//
// Asio installs its handler without SA_RESTART; zio adds SA_RESTART to it (step 4), so that
// blocking syscalls elsewhere in the process (blocking pool, logging) are not interrupted by
// a signal zio listens to. Calls that never restart (epoll_wait, poll, nanosleep, ...) still
// see EINTR and must retry.
#include <zio/signal/signal_set.hpp>

#include <zio/detail/assert.hpp>
#include <zio/detail/intrusive_list.hpp>
#include <zio/detail/runtime_core.hpp>
#include <zio/detail/spin_lock.hpp>
#include <zio/detail/task.hpp>
#include <zio/runtime/spawn.hpp>

#include <boost/asio/signal_set.hpp>

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace zio {
namespace detail {
namespace {

// ---- step 4: process-wide dispositions ----

struct Dispositions {
  std::mutex mutex;
  std::array<int, NSIG> refs{};                 // guarded by mutex: zio registrations per signal
  std::array<struct sigaction, NSIG> saved{};   // guarded by mutex: valid while refs > 0
};

Dispositions& dispositions() {
  // Never destroyed: a runtime may end during static destruction.
  static auto* table = new Dispositions;
  return *table;
}

std::string signal_name(int signo) {
  std::string name = "signal " + std::to_string(signo);
  if (signo > 0 && signo < NSIG) {
    if (const char* abbrev = ::sigabbrev_np(signo)) name += std::string(" (SIG") + abbrev + ")";
  }
  return name;
}

[[noreturn]] void reject(int signo, const char* why) {
  throw std::invalid_argument("zio::SignalSet: " + signal_name(signo) + " " + why);
}

void validate(int signo) {
  if (signo <= 0 || signo >= NSIG) reject(signo, "is out of range");
  if (signo == SIGKILL || signo == SIGSTOP) reject(signo, "cannot be caught");
  if (signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL) {
    // Raised by a faulting instruction, which re-runs when a handler returns: such a signal
    // cannot be waited for. (zio's stack-overflow guard also owns SIGSEGV.)
    reject(signo, "is a synchronous fault signal and cannot be waited for");
  }
  struct sigaction current;
  // glibc refuses the signals it reserves for itself (thread cancellation, setxid).
  if (::sigaction(signo, nullptr, &current) != 0) reject(signo, "is reserved by the C library");
}

bool is_asio_handler(const struct sigaction& action) {
  return !(action.sa_flags & SA_SIGINFO) && action.sa_handler == &boost::asio::detail::boost_asio_signal_handler;
}

// Adds `signo` to `set`, saving the previous disposition if zio had not taken it yet.
void acquire_signal(boost::asio::signal_set& set, int signo) {
  Dispositions& table = dispositions();
  std::lock_guard lock(table.mutex);
  struct sigaction before {};
  if (table.refs[signo] == 0 && ::sigaction(signo, nullptr, &before) != 0) {
    throw_error(error_code(errno, boost::system::system_category()), "zio::SignalSet: reading the disposition");
  }
  error_code ec;
  set.add(signo, ec);
  if (ec) throw_error(ec, "zio::SignalSet: installing the signal handler");
  if (table.refs[signo]++ == 0) {
    table.saved[signo] = before;
    // See the top comment: Asio installs its handler without SA_RESTART.
    struct sigaction now {};
    if (::sigaction(signo, nullptr, &now) == 0 && is_asio_handler(now) && !(now.sa_flags & SA_RESTART)) {
      now.sa_flags |= SA_RESTART;
      ::sigaction(signo, &now, nullptr);
    }
  }
}

// Removes `signo` from `set`; restores the saved disposition after zio's last registration.
void release_signal(boost::asio::signal_set& set, int signo) noexcept {
  Dispositions& table = dispositions();
  std::lock_guard lock(table.mutex);
  error_code ignored;
  set.remove(signo, ignored);
  ZIO_ASSERT(table.refs[signo] > 0, "zio::SignalSet: signal released more often than taken");
  if (--table.refs[signo] != 0) return;
  struct sigaction now {};
  if (::sigaction(signo, nullptr, &now) != 0) return;
  // Asio resets the handler to SIG_DFL when its last registration goes. Anything else means
  // an asio::signal_set outside zio still holds the signal: leave its handler alone. A saved
  // Asio handler belonged to such a set that has gone since; reinstalling it would swallow
  // the signal, so SIG_DFL stays.
  const bool asio_let_go = !(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_DFL;
  if (asio_let_go && !is_asio_handler(table.saved[signo])) ::sigaction(signo, &table.saved[signo], nullptr);
}

}  // namespace

// ---- steps 1-3, 5: the per-runtime hub ----

class SignalHub {
 public:
  explicit SignalHub(boost::asio::io_context& io) { set_.emplace(io); }

  void add(SignalSet::State& state);
  void remove(SignalSet::State& state) noexcept;
  void stop() noexcept;

 private:
  void arm_locked();
  void on_signal(const error_code& ec, int signo) noexcept;

  std::mutex mutex_;
  std::optional<boost::asio::signal_set> set_;       // guarded by mutex_; reset by stop()
  std::array<int, NSIG> users_{};                     // guarded by mutex_: States using a signal
  std::vector<SignalSet::State*> states_;             // guarded by mutex_
  bool armed_ = false;                                // guarded by mutex_: the pump is waiting
  bool stopped_ = false;                              // guarded by mutex_
};

/// The Asio service that ties a hub to executor 0's io_context, and so to the runtime's life.
class SignalService final : public boost::asio::execution_context::service {
 public:
  static boost::asio::execution_context::id id;

  // use_service(io_context&) constructs services with the io_context itself.
  explicit SignalService(boost::asio::io_context& io) : service(io), hub_(std::make_shared<SignalHub>(io)) {}

  std::shared_ptr<SignalHub> hub() const { return hub_; }

 private:
  // io_context destruction (runtime end), before any handler or service is destroyed.
  void shutdown() override { hub_->stop(); }

  std::shared_ptr<SignalHub> hub_;
};

boost::asio::execution_context::id SignalService::id;

}  // namespace detail

struct SignalSet::State {
  std::shared_ptr<detail::SignalHub> hub;  // set once
  std::vector<int> signals;                // sorted, unique; set once

  detail::SpinLock lock;
  std::vector<std::uint64_t> pending;                // guarded by lock; parallel to signals
  std::size_t next_scan = 0;                         // guarded by lock: where take() looks first
  detail::IntrusiveList<detail::WaitNode> waiters;   // guarded by lock
  bool detached = false;                             // guarded by lock: the runtime ended

  std::ptrdiff_t index_of(int signo) const noexcept {
    auto it = std::lower_bound(signals.begin(), signals.end(), signo);
    return it != signals.end() && *it == signo ? it - signals.begin() : -1;
  }

  // Step 3. Called under the hub's mutex.
  void deliver(int signo) noexcept {
    const std::ptrdiff_t i = index_of(signo);
    if (i < 0) return;
    std::lock_guard guard(lock);
    if (detail::WaitNode* node = waiters.pop_front()) {
      node->data = static_cast<std::uintptr_t>(signo);
      node->notify();
    } else {
      ++pending[static_cast<std::size_t>(i)];
    }
  }

  // Step 5: waiters wake with data 0, which means "runtime stopped".
  void detach() noexcept {
    std::lock_guard guard(lock);
    detached = true;
    while (detail::WaitNode* node = waiters.pop_front()) node->notify();
  }

  // A pending delivery, or 0. Starts after the signal taken last, so a flood of one signal
  // does not starve the others. Call with `lock` held.
  int take_locked() noexcept {
    const std::size_t n = signals.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (next_scan + k) % n;
      if (pending[i] > 0) {
        --pending[i];
        next_scan = i + 1;
        return signals[i];
      }
    }
    return 0;
  }
};

namespace detail {

void SignalHub::add(SignalSet::State& state) {
  std::lock_guard lock(mutex_);
  if (stopped_) throw_error(make_error_code(errc::runtime_stopped), "zio::SignalSet");
  std::size_t added = 0;
  try {
    for (int signo : state.signals) {
      if (users_[signo] == 0) acquire_signal(*set_, signo);
      ++users_[signo];
      ++added;
    }
    states_.push_back(&state);
    if (!armed_) arm_locked();
  } catch (...) {
    for (std::size_t i = 0; i < added; ++i) {
      const int signo = state.signals[i];
      if (--users_[signo] == 0) release_signal(*set_, signo);
    }
    std::erase(states_, &state);
    throw;
  }
}

void SignalHub::remove(SignalSet::State& state) noexcept {
  std::lock_guard lock(mutex_);
  if (stopped_) return;  // stop() released everything
  std::erase(states_, &state);
  for (int signo : state.signals) {
    if (--users_[signo] == 0) release_signal(*set_, signo);
  }
}

void SignalHub::stop() noexcept {
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  stopped_ = true;
  for (int signo = 1; signo < NSIG; ++signo) {
    if (users_[signo] > 0) release_signal(*set_, signo);
    users_[signo] = 0;
  }
  // Cancels the pump: Asio posts its handler, and the io_context, shutting down, destroys
  // it without running it.
  set_.reset();
  for (SignalSet::State* state : states_) state->detach();
  states_.clear();
}

void SignalHub::arm_locked() {
  // The handler runs on executor 0's thread while the io_context lives, and the service (so
  // this hub) lives as long as the io_context: a plain pointer is safe.
  set_->async_wait([this](const error_code& ec, int signo) { on_signal(ec, signo); });
  armed_ = true;
}

void SignalHub::on_signal(const error_code& ec, int signo) noexcept {
  std::lock_guard lock(mutex_);
  armed_ = false;
  if (ec || stopped_) return;
  for (SignalSet::State* state : states_) state->deliver(signo);
  try {
    arm_locked();
  } catch (...) {
    // Out of memory: the next SignalSet constructed re-arms; until then deliveries wait in
    // Asio's own per-signal counters, so none is lost.
  }
}

}  // namespace detail

// ---- SignalSet ----

SignalSet::SignalSet(std::initializer_list<int> signals) : SignalSet(std::span<const int>(signals.begin(), signals.size())) {}

SignalSet::SignalSet(std::span<const int> signals) {
  if (signals.empty()) throw std::invalid_argument("zio::SignalSet: needs at least one signal");
  for (int signo : signals) detail::validate(signo);
  detail::RuntimeCore& core = detail::current_core("zio::SignalSet");
  auto state = std::make_shared<State>();
  state->signals.assign(signals.begin(), signals.end());
  std::sort(state->signals.begin(), state->signals.end());
  state->signals.erase(std::unique(state->signals.begin(), state->signals.end()), state->signals.end());
  state->pending.assign(state->signals.size(), 0);
  state->hub = boost::asio::use_service<detail::SignalService>(core.executor(0).io()).hub();
  state->hub->add(*state);
  state_ = std::move(state);
}

SignalSet::~SignalSet() {
  if (!state_) return;
  {
    std::lock_guard guard(state_->lock);
    ZIO_ASSERT(state_->waiters.empty(), "zio::SignalSet destroyed while fibers or threads wait on it");
  }
  state_->hub->remove(*state_);
}

SignalSet::SignalSet(SignalSet&& other) noexcept = default;

SignalSet& SignalSet::operator=(SignalSet&& other) noexcept {
  if (this != &other) {
    SignalSet dying(std::move(*this));
    state_ = std::move(other.state_);
  }
  return *this;
}

bool SignalSet::contains(int signo) const noexcept { return state_ && state_->index_of(signo) >= 0; }

std::optional<int> SignalSet::try_wait() noexcept {
  ZIO_ASSERT(state_, "zio::SignalSet used after it was moved from");
  std::lock_guard guard(state_->lock);
  if (int signo = state_->take_locked()) return signo;
  return std::nullopt;
}

int SignalSet::wait_impl(const Clock::time_point* deadline, error_code& ec) noexcept {
  ZIO_ASSERT(state_, "zio::SignalSet used after it was moved from");
  if ((ec = detail::enter_blocking_call())) return 0;
  State& state = *state_;
  std::unique_lock guard(state.lock);
  if (int signo = state.take_locked()) return signo;
  if (state.detached) {
    ec = make_error_code(errc::runtime_stopped);
    return 0;
  }
  detail::WaitNode node;
  if ((ec = detail::wait_in_queue(state.waiters, node, state.lock, deadline))) return 0;
  if (node.data == 0) {
    ec = make_error_code(errc::runtime_stopped);
    return 0;
  }
  return static_cast<int>(node.data);
}

int SignalSet::wait(error_code& ec) noexcept { return wait_impl(nullptr, ec); }

int SignalSet::wait() {
  error_code ec;
  const int signo = wait_impl(nullptr, ec);
  if (ec) detail::throw_error(ec, "zio::SignalSet::wait");
  return signo;
}

std::optional<int> SignalSet::wait_until(Clock::time_point deadline) {
  error_code ec;
  const int signo = wait_impl(&deadline, ec);
  if (ec == errc::timed_out) return std::nullopt;
  if (ec) detail::throw_error(ec, "zio::SignalSet::wait_until");
  return signo;
}

void ctrl_c() {
  SignalSet interrupt{SIGINT};
  interrupt.wait();
}

void ctrl_c(error_code& ec) noexcept {
  try {
    SignalSet interrupt{SIGINT};
    interrupt.wait(ec);
  } catch (const system_error& e) {
    ec = e.code();
  } catch (...) {
    ec = make_error_code(boost::system::errc::not_enough_memory);
  }
}

}  // namespace zio
