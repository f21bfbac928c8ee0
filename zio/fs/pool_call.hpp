#pragma once
// How zio::fs runs a system call on the blocking pool (through detail::call_on_pool).
// Internal: included by zio/fs/*.cpp only (not installed).
//
// The ownership rule every caller follows: the job owns everything it touches. A fiber that is
// cancelled (or whose with_timeout fires) stops waiting at once while the job may still be
// blocked in the kernel; the job then finishes on its own and its result is destroyed with it.
// So a job never points into the caller's stack or buffers:
//  - reads go into a heap buffer the job allocates; the fiber copies out after a success;
//  - writes take a copy of the caller's data;
//  - descriptors are held through a shared_ptr (the job's copy keeps a descriptor open, so a
//    close() meanwhile cannot let a late job read or write whatever file reuses the number);
//  - results that own resources (an opened descriptor) close them in their destructor, so a
//    dropped result leaks nothing.
#include <zio/detail/pool_call.hpp>
#include <zio/error.hpp>

#include <cstddef>
#include <string>

namespace zio::fs::pool {

/// Throws `ec` as the error of `call` on `path`: `zio::fs::read_file("/x"): No such file ...`.
[[noreturn]] inline void fail(const error_code& ec, const char* call, const std::string& path) {
  const std::string what = std::string(call) + "(\"" + path + "\")";
  zio::detail::throw_error(ec, what.c_str());
}

/// The most bytes one pool job transfers: large enough that the hand-off to a pool thread
/// (some µs) is small next to the copy, small enough to bound each job's own buffer.
inline constexpr std::size_t max_transfer = std::size_t{1} << 20;

}  // namespace zio::fs::pool
