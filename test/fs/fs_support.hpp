#pragma once
// Helpers for the zio::fs tests: a temporary directory, test data, FIFO and descriptor helpers,
// and the choice of File backend.
#include <zio/runtime/runtime.hpp>

#include <catch2/catch.hpp>

#if defined(BOOST_ASIO_HAS_IO_URING)
#include <liburing.h>
#endif

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace zio::test {

/// Whether a File opened in a runtime with `.io_uring_files = requested` must use io_uring:
/// zio was built with it and the kernel allows a ring, probed here on its own (not through
/// zio's probe, which is what is being tested). WARNs when io_uring was requested but cannot
/// be had, so a run on such a machine says that it tested the pool twice.
inline bool expect_io_uring(bool requested) {
  if (!requested) return false;
#if defined(BOOST_ASIO_HAS_IO_URING)
  static const bool kernel_allows = [] {
    ::io_uring ring{};
    if (::io_uring_queue_init(2, &ring, 0) < 0) return false;
    const bool current_position = (ring.features & IORING_FEAT_RW_CUR_POS) != 0;
    ::io_uring_queue_exit(&ring);
    return current_position;
  }();
  if (!kernel_allows) WARN("the kernel refuses io_uring: the io_uring case runs on the blocking pool");
  return kernel_allows;
#else
  WARN("zio was built without io_uring (-Dio_uring=disabled or no liburing): the io_uring case runs on the pool");
  return false;
#endif
}

/// Options for a runtime with `executors` executors and the File backend `io_uring` asks for.
inline RuntimeOptions file_runtime(std::size_t executors, bool io_uring) {
  return {.executors = executors, .io_uring_files = io_uring};
}

/// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/zio-fs-test-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path_ = name;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Deterministic bytes (xorshift), so a bad offset or a dropped chunk changes the checksum.
inline std::vector<char> pattern(std::size_t size, std::uint64_t seed) {
  std::vector<char> data(size);
  std::uint64_t x = seed | 1;
  for (std::size_t i = 0; i < size; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(data.data() + i, &x, std::min<std::size_t>(8, size - i));
  }
  return data;
}

/// FNV-1a, continued from `hash`.
inline std::uint64_t checksum(const char* data, std::size_t size, std::uint64_t hash = 14695981039346656037ull) {
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ static_cast<unsigned char>(data[i])) * 1099511628211ull;
  return hash;
}

inline std::size_t open_descriptors() {
  std::size_t count = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (const dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
    ::closedir(dir);
  }
  return count;
}

/// Opens the write end of `fifo` without blocking once a reader has it open (a reader that
/// is still in open(2) counts); -1 if none did within 5 s.
inline int open_fifo_writer(const std::filesystem::path& fifo) {
  for (int tries = 0; tries < 5000; ++tries) {
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) return fd;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return -1;
}

}  // namespace zio::test
