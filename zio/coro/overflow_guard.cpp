#include <zio/coro/overflow_guard.hpp>

#include <zio/coro/coroutine.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace zio::detail {
namespace {

struct sigaction previous_action;
std::atomic<std::size_t> configured_stack_size{0};

// async-signal-safe: formats into a caller's buffer.
std::size_t format_decimal(char* out, std::size_t value) {
  char tmp[24];
  std::size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (std::size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

void write_all(const char* text, std::size_t len) {
  while (len > 0) {
    ssize_t n = ::write(STDERR_FILENO, text, len);
    if (n <= 0) return;
    text += n;
    len -= static_cast<std::size_t>(n);
  }
}

void restore_default_and_return(int sig) {
  // Returning re-executes the faulting instruction, which now kills the process with the
  // signal's default action (and a core dump where enabled).
  ::signal(sig, SIG_DFL);
}

void on_fault(int sig, siginfo_t* info, void* uctx) {
  Coroutine* running = Coroutine::running();
  if (running && running->stack().guard_contains(info->si_addr)) {
    char msg[256];
    std::size_t len = 0;
    auto append = [&](const char* s) {
      std::size_t n = std::strlen(s);
      std::memcpy(msg + len, s, n);
      len += n;
    };
    append("zio: stack overflow in a fiber (stack size ");
    len += format_decimal(msg + len, configured_stack_size.load(std::memory_order_relaxed));
    append(" bytes); raise RuntimeOptions::stack_size or move large buffers to the heap\n");
    write_all(msg, len);
    restore_default_and_return(sig);
    return;
  }
  if (previous_action.sa_flags & SA_SIGINFO) {
    if (previous_action.sa_sigaction) {
      previous_action.sa_sigaction(sig, info, uctx);
      return;
    }
  } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(sig);
    return;
  }
  restore_default_and_return(sig);
}

}  // namespace

void install_overflow_handler(std::size_t stack_size) {
  configured_stack_size.store(stack_size, std::memory_order_relaxed);
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = &on_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGSEGV, &action, &previous_action);
  });
}

AltSignalStack::AltSignalStack() {
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;
  // 64 KiB: sanitizer runtimes run their own code in the handler too.
  constexpr std::size_t size = 64 * 1024;
  memory_ = std::malloc(size);
  if (!memory_) return;
  stack_t alt{};
  alt.ss_sp = memory_;
  alt.ss_size = size;
  if (::sigaltstack(&alt, nullptr) != 0) {
    std::free(memory_);
    memory_ = nullptr;
  }
}

AltSignalStack::~AltSignalStack() {
  if (!memory_) return;
  stack_t disable{};
  disable.ss_flags = SS_DISABLE;
  ::sigaltstack(&disable, nullptr);
  std::free(memory_);
}

}  // namespace zio::detail
