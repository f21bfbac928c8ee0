#pragma once
// Helpers for the zio::fs tests: a temporary directory, test data, FIFO and descriptor helpers.
#include <catch2/catch.hpp>

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
