#pragma once
/// Turns a fiber stack overflow into a clear message instead of a silent segfault.
#include <cstddef>

namespace zio::detail {

/// Installs (once per process) a SIGSEGV handler that runs on an alternate signal stack. When
/// the faulting address lies in the guard page of the fiber running on that thread, it writes
/// "zio: stack overflow in a fiber ..." to stderr and lets the fault kill the process with
/// SIGSEGV. Any other fault goes to the handler that was installed before.
void install_overflow_handler(std::size_t stack_size);

/// Gives the current thread an alternate signal stack for the handler's lifetime of this object
/// (a fiber that overflowed has no stack left to run the handler on). Keeps an existing one.
class AltSignalStack {
 public:
  AltSignalStack();
  ~AltSignalStack();
  AltSignalStack(const AltSignalStack&) = delete;
  AltSignalStack& operator=(const AltSignalStack&) = delete;

 private:
  void* memory_ = nullptr;
};

}  // namespace zio::detail
