#pragma once
// The one spdlog logger zio writes to, named "zio". Include only from .cpp files: spdlog stays
// out of the public headers. Level defaults to warn; set it with
// `spdlog::get("zio")->set_level(...)` or register your own logger named "zio" first.
#include <spdlog/spdlog.h>

namespace zio::detail {
spdlog::logger& logger();
}
