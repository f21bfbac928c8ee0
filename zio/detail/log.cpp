#include <zio/detail/log.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace zio::detail {

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    if (auto existing = spdlog::get("zio")) return existing;
    auto created = spdlog::stderr_color_mt("zio");
    created->set_level(spdlog::level::warn);
    return created;
  }();
  return *instance;
}

}  // namespace zio::detail
