#pragma once
/// zio: Go-style stackful fibers and async I/O over Boost.Asio. The umbrella header.
#include <zio/error.hpp>
#include <zio/io/use_fiber.hpp>
#include <zio/runtime/blocking.hpp>
#include <zio/runtime/join_handle.hpp>
#include <zio/runtime/runtime.hpp>
#include <zio/runtime/spawn.hpp>
#include <zio/runtime/task_group.hpp>
#include <zio/runtime/this_task.hpp>
#include <zio/runtime/timeout.hpp>
#include <zio/sync.hpp>
#include <zio/version.hpp>
