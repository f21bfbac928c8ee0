// Context switching.
//
// Every switch is a jump_fcontext from Boost.Context's assembly. All the per-switch bookkeeping
// happens on the resuming (executor) side where possible, because that side never migrates:
//
//  1. resume(), before the jump: install the coroutine's exception state into this thread's
//     __cxa_eh_globals, tell ASan the target stack, tell TSan the target fiber, and publish
//     `running()` for the overflow handler.
//  2. The coroutine runs until suspend() or finish() jumps back with the caller's context.
//  3. resume(), after the jump: save the coroutine's exception state and restore the
//     executor's; the pointer to the globals is still valid because resume() stays on its
//     thread.
//
// On the coroutine side only the sanitizer calls are made: ASan must learn which stack it left
// and which it returned to, and the caller's bounds change when the coroutine migrates.
#include <zio/coro/coroutine.hpp>

#include <zio/detail/assert.hpp>

#include <boost/context/detail/fcontext.hpp>

#include <cxxabi.h>

#include <cstdint>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#define ZIO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZIO_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define ZIO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ZIO_TSAN 1
#endif
#endif

#ifdef ZIO_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef ZIO_TSAN
#include <sanitizer/tsan_interface.h>

#include <poll.h>
#endif

// The per-thread C++ exception globals of libstdc++/libsupc++ (cxxabi's __cxa_eh_globals,
// opaque in <cxxabi.h>): the first two fields are stable ABI. The function is declared `const`,
// which is safe here because only the executor side calls it and that side never migrates.
namespace {
struct EhGlobals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};
EhGlobals* eh_globals() noexcept { return reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals()); }
}  // namespace

namespace ctx = boost::context::detail;

namespace zio::detail {
namespace {

// initial-exec: one %fs-relative access instead of a __tls_get_addr call per switch. Both are
// read only on the resuming (executor) side, which never migrates.
__attribute__((tls_model("initial-exec"))) thread_local Coroutine* tls_running = nullptr;
__attribute__((tls_model("initial-exec"))) thread_local EhGlobals* tls_eh_globals = nullptr;

[[maybe_unused]] void asan_start(void** fake_stack_save, const void* bottom, std::size_t size) {
#ifdef ZIO_ASAN
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#else
  (void)fake_stack_save, (void)bottom, (void)size;
#endif
}

[[maybe_unused]] void asan_finish(void* fake_stack_save, const void** from_bottom, std::size_t* from_size) {
#ifdef ZIO_ASAN
  __sanitizer_finish_switch_fiber(fake_stack_save, from_bottom, from_size);
#else
  (void)fake_stack_save, (void)from_bottom, (void)from_size;
#endif
}

void tsan_switch([[maybe_unused]] void* fiber) {
#ifdef ZIO_TSAN
  __tsan_switch_to_fiber(fiber, 0);
#endif
}

// ThreadSanitizer keeps a signal that arrives while a fiber runs outside its interceptors
// pending in *that fiber's* state, and delivers it only when the same fiber next passes an
// interceptor. A fiber that then waits for the signal's effect (a SignalSet wait, or a join
// of such a waiter) never does, and the signal is stranded: the first SignalSet test hung in
// about half its TSan runs. So under TSan a fiber passes a *blocking* interceptor (only those
// deliver pending signals) each time it switches out: poll() on no descriptors with a zero
// timeout returns at once (usleep(0) worked too, but slept through the timer slack on every
// switch, and time() is not a blocking interceptor).
void tsan_deliver_pending_signals() {
#ifdef ZIO_TSAN
  (void)::poll(nullptr, 0, 0);
#endif
}

}  // namespace

// Reached only through `trampoline`; keeps the private members private.
struct CoroutineAccess {
  static void entry(ctx::transfer_t t) noexcept {
    auto* self = static_cast<Coroutine*>(t.data);
    self->caller_ = t.fctx;
    asan_finish(nullptr, &self->caller_stack_bottom_, &self->caller_stack_size_);
    self->entry_(*self);
    self->finish();
  }
};

Coroutine::~Coroutine() {
  ZIO_ASSERT(!started() || finished_, "a started coroutine was destroyed before it finished");
#ifdef ZIO_TSAN
  if (tsan_fiber_) __tsan_destroy_fiber(tsan_fiber_);
#endif
}

void Coroutine::start(Stack stack, Entry entry) noexcept {
  ZIO_ASSERT(!started(), "coroutine started twice");
  stack_ = stack;
  entry_ = entry;
  context_ = ctx::make_fcontext(stack_.top(), stack_.usable_size(), &CoroutineAccess::entry);
#ifdef ZIO_TSAN
  tsan_fiber_ = __tsan_create_fiber(0);
#endif
}

void Coroutine::resume() noexcept {
  ZIO_ASSERT(started() && !finished_, "resume of a coroutine that is not runnable");
  EhGlobals* eh = tls_eh_globals;
  if (!eh) eh = tls_eh_globals = eh_globals();
  EhGlobals executor_eh = *eh;
  eh->caught_exceptions = caught_exceptions_;
  eh->uncaught_exceptions = uncaught_exceptions_;

  Coroutine* outer = tls_running;
  tls_running = this;
  void* executor_fake_stack = nullptr;
#ifdef ZIO_ASAN
  asan_start(&executor_fake_stack, stack_.usable_bottom(), stack_.usable_size());
#endif
#ifdef ZIO_TSAN
  tsan_caller_ = __tsan_get_current_fiber();
#endif
  tsan_switch(tsan_fiber_);

  ctx::transfer_t t = ctx::jump_fcontext(context_, this);
  context_ = t.fctx;

  asan_finish(executor_fake_stack, nullptr, nullptr);
  tls_running = outer;
  caught_exceptions_ = eh->caught_exceptions;
  uncaught_exceptions_ = eh->uncaught_exceptions;
  *eh = executor_eh;
}

void Coroutine::suspend() noexcept {
  tsan_deliver_pending_signals();
  asan_start(&asan_fake_stack_, caller_stack_bottom_, caller_stack_size_);
  tsan_switch(tsan_caller_);
  ctx::transfer_t t = ctx::jump_fcontext(caller_, nullptr);
  // Possibly on another thread now: everything below reads fresh state.
  caller_ = t.fctx;
  asan_finish(asan_fake_stack_, &caller_stack_bottom_, &caller_stack_size_);
}

void Coroutine::finish() noexcept {
  tsan_deliver_pending_signals();
  finished_ = true;
  // nullptr: this stack's fake frames die with it.
  asan_start(nullptr, caller_stack_bottom_, caller_stack_size_);
  tsan_switch(tsan_caller_);
  ctx::jump_fcontext(caller_, nullptr);
  ZIO_ASSERT(false, "a finished coroutine was resumed");
}

Stack Coroutine::take_stack() noexcept {
  ZIO_ASSERT(finished_, "stack taken from a running coroutine");
#ifdef ZIO_TSAN
  // Now, not in the destructor: a finished task may live on (unjoined) for a long time.
  if (tsan_fiber_) __tsan_destroy_fiber(std::exchange(tsan_fiber_, nullptr));
#endif
  Stack s = stack_;
  stack_ = Stack{};
  stack_.base = nullptr;
  return s;
}

Coroutine* Coroutine::running() noexcept { return tls_running; }

}  // namespace zio::detail
