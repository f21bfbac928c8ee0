#include <zio/runtime/runtime.hpp>

#include <zio/detail/runtime_core.hpp>

#include <thread>

namespace zio {

std::size_t default_executors() noexcept {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

Runtime::Runtime(RuntimeOptions options) : core_(std::make_unique<detail::RuntimeCore>(options)) {}

Runtime::~Runtime() {
  try {
    core_->shutdown();
  } catch (const std::exception& e) {
    ZIO_ASSERT(false, e.what());
  }
}

void Runtime::shutdown() { core_->shutdown(); }

const RuntimeOptions& Runtime::options() const noexcept { return core_->options(); }

void Runtime::run_root(detail::TaskBase& task) { core_->run_root(task); }

}  // namespace zio
