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
//
// A hand-off (switch_to) goes from one coroutine straight to another on the same thread,
// with Boost.Context's ontop jump: `on_handoff` runs first on the target's stack, where it
// saves the source's context, finishes the sanitizer switch and runs the caller's `after`.
// The target inherits the source's resumer (context, stack bounds, TSan fiber), so when it
// suspends, the resumer's resume() returns; every jump back carries the coroutine that made
// it, and resume() saves the context and exception state into that one.
#include <zio/coro/coroutine.hpp>

#include <zio/detail/assert.hpp>

#include <boost/context/detail/fcontext.hpp>

#include <cxxabi.h>

#include <cstdint>
#include <new>
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

// switch_to() runs on a coroutine's stack, which may have migrated since the caller last
// touched these: noinline plus the empty asm make it compute this thread's addresses afresh.
__attribute__((noinline)) Coroutine** running_slot() noexcept {
  Coroutine** slot = &tls_running;
  asm volatile("" : "+r"(slot));
  return slot;
}
__attribute__((noinline)) EhGlobals* thread_eh_globals() noexcept {
  EhGlobals** slot = &tls_eh_globals;
  asm volatile("" : "+r"(slot));
  return *slot;  // set by the resume() that started this thread's current run
}

// Marks a jump that arrives through on_handoff, which has done the landing's sanitizer work.
char handoff_tag;

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

// Reached only through Boost.Context's jumps; keeps the private members private.
struct CoroutineAccess {
  static void entry(ctx::transfer_t t) noexcept {
    auto* self = static_cast<Coroutine*>(t.data);
    self->caller_ = t.fctx;
    asan_finish(nullptr, &self->caller_stack_bottom_, &self->caller_stack_size_);
    self->entry_(self->user_);
    self->finish();
  }

  // What switch_to() leaves on the source's stack for on_handoff.
  struct Handoff {
    Coroutine* from;
    Coroutine* to;
    Coroutine::AfterSwitch after;
    void* arg;
  };

  // Runs on the target's stack before the target continues.
  static ctx::transfer_t on_handoff(ctx::transfer_t t) noexcept {
    auto* handoff = static_cast<Handoff*>(t.data);
    asan_finish(handoff->to->asan_fake_stack_, nullptr, nullptr);
    // Copied: it lives on the source's stack, which `after` may let another thread resume.
    const Handoff h = *handoff;
    h.from->context_ = t.fctx;
    void* resumer = h.from->caller_;
    h.after(*h.from, h.arg);
    // Becomes the result of the target's own suspending jump: its new resumer.
    return {resumer, &handoff_tag};
  }
};

Coroutine* Coroutine::create(Stack stack, Entry entry, void* user) noexcept {
  // The object takes the top of the stack, 64-byte aligned (a cache line of its own); the
  // fiber's frames start below it.
  auto top = reinterpret_cast<std::uintptr_t>(stack.top());
  void* place = reinterpret_cast<void*>((top - sizeof(Coroutine)) & ~std::uintptr_t{63});
  return new (place) Coroutine(stack, entry, user);
}

Coroutine::Coroutine(Stack stack, Entry entry, void* user) noexcept : entry_(entry), user_(user), stack_(stack) {
  char* frames_top = reinterpret_cast<char*>(this);
  context_ = ctx::make_fcontext(frames_top, static_cast<std::size_t>(frames_top - stack_.usable_bottom()),
                                &CoroutineAccess::entry);
#ifdef ZIO_TSAN
  tsan_fiber_ = __tsan_create_fiber(0);
#endif
}

Coroutine::~Coroutine() {
#ifdef ZIO_TSAN
  if (tsan_fiber_) __tsan_destroy_fiber(tsan_fiber_);
#endif
}

Stack Coroutine::destroy(Coroutine* coroutine) noexcept {
  ZIO_ASSERT(coroutine->finished_, "a coroutine was destroyed before it finished");
  Stack stack = coroutine->stack_;
  coroutine->~Coroutine();
  return stack;
}

Coroutine& Coroutine::resume() noexcept {
  ZIO_ASSERT(!finished_, "resume of a finished coroutine");
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
  // Whoever jumped back: this coroutine, or one it (transitively) handed the thread to.
  auto& back = *static_cast<Coroutine*>(t.data);
  back.context_ = t.fctx;

  asan_finish(executor_fake_stack, nullptr, nullptr);
  tls_running = outer;
  back.caught_exceptions_ = eh->caught_exceptions;
  back.uncaught_exceptions_ = eh->uncaught_exceptions;
  *eh = executor_eh;
  return back;
}

void Coroutine::land(void* from_context, bool handed_off) noexcept {
  // Possibly on another thread now: everything here reads fresh state.
  caller_ = from_context;
  if (!handed_off) asan_finish(asan_fake_stack_, &caller_stack_bottom_, &caller_stack_size_);
}

void Coroutine::suspend() noexcept {
  tsan_deliver_pending_signals();
  asan_start(&asan_fake_stack_, caller_stack_bottom_, caller_stack_size_);
  tsan_switch(tsan_caller_);
  ctx::transfer_t t = ctx::jump_fcontext(caller_, this);
  land(t.fctx, t.data == &handoff_tag);
}

void Coroutine::switch_to(Coroutine& next, AfterSwitch after, void* arg) noexcept {
  ZIO_ASSERT(!next.finished_ && &next != this, "hand-off to a coroutine that is not suspended");
  tsan_deliver_pending_signals();
  // This thread's exception state is ours: keep it, and give the thread next's.
  EhGlobals* eh = thread_eh_globals();
  caught_exceptions_ = eh->caught_exceptions;
  uncaught_exceptions_ = eh->uncaught_exceptions;
  eh->caught_exceptions = next.caught_exceptions_;
  eh->uncaught_exceptions = next.uncaught_exceptions_;
  *running_slot() = &next;

  // next inherits our resumer; its context arrives through on_handoff's result.
  next.caller_stack_bottom_ = caller_stack_bottom_;
  next.caller_stack_size_ = caller_stack_size_;
  next.tsan_caller_ = tsan_caller_;
#ifdef ZIO_ASAN
  // Only under ASan: computing the bounds is a call into stack.cpp.
  asan_start(&asan_fake_stack_, next.stack_.usable_bottom(), next.stack_.usable_size());
#endif
  tsan_switch(next.tsan_fiber_);

  CoroutineAccess::Handoff handoff{this, &next, after, arg};
  ctx::transfer_t t = ctx::ontop_fcontext(next.context_, &handoff, &CoroutineAccess::on_handoff);
  land(t.fctx, t.data == &handoff_tag);
}

void Coroutine::finish() noexcept {
  tsan_deliver_pending_signals();
  finished_ = true;
  // nullptr: this stack's fake frames die with it.
  asan_start(nullptr, caller_stack_bottom_, caller_stack_size_);
  tsan_switch(tsan_caller_);
  ctx::jump_fcontext(caller_, this);
  ZIO_ASSERT(false, "a finished coroutine was resumed");
}

Coroutine* Coroutine::running() noexcept { return tls_running; }

}  // namespace zio::detail
