// zio::fs path operations: each is one blocking-pool job that owns its data (pool_call.hpp).
// errno is read inside the jobs, on plain pool threads (DESIGN.md, "TLS caching").
#include <zio/fs/operations.hpp>

#include <zio/fs/pool_call.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>

namespace zio::fs {
namespace {

error_code errno_code(int error) noexcept { return {error, boost::system::system_category()}; }

/// open(2) retried on EINTR.
int open_retrying(const char* path, int flags, mode_t mode = 0) noexcept {
  int fd;
  do {
    fd = ::open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

/// Closes `fd`; the errno of a failed close, else 0. Never retried: Linux frees the
/// descriptor even when close fails with EINTR.
int close_reporting(int fd) noexcept { return ::close(fd) == 0 || errno == EINTR ? 0 : errno; }

struct ReadAll {
  std::string data;
  int error = 0;
};

ReadAll read_all(const std::string& path) {
  ReadAll result;
  const int fd = open_retrying(path.c_str(), O_RDONLY);
  if (fd < 0) {
    result.error = errno;
    return result;
  }
  // The size is a hint only: the file may grow or shrink meanwhile, and /proc files say 0.
  struct ::stat st {};
  std::size_t capacity = ::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<std::size_t>(st.st_size) + 1 : 4096;
  std::size_t used = 0;
  for (;;) {
    if (used == result.data.size()) result.data.resize(std::max(capacity, result.data.size() * 2));
    const ssize_t n = ::read(fd, result.data.data() + used, result.data.size() - used);
    if (n > 0) {
      used += static_cast<std::size_t>(n);
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      result.error = errno;
      break;
    }
  }
  ::close(fd);  // read-only: a close error loses nothing
  result.data.resize(used);
  return result;
}

int write_all(const std::string& path, const std::string& data) {
  const int fd = open_retrying(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) return errno;
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
    } else if (errno != EINTR) {
      const int error = errno;
      ::close(fd);
      return error;
    }
  }
  return close_reporting(fd);  // NFS reports a failed write-back here
}

struct Stated {
  FileStat stat;
  int error = 0;
};

}  // namespace

std::string read_file(const std::filesystem::path& path, error_code& ec) {
  // The job reads into a string it owns; on success it is moved out, never copied.
  auto done = zio::detail::call_on_pool("zio::fs::read_file", ec, [path = path.string()] { return read_all(path); });
  if (!done) return {};
  if (done->error) {
    ec = errno_code(done->error);
    return {};
  }
  return std::move(done->data);
}

std::string read_file(const std::filesystem::path& path) {
  error_code ec;
  std::string data = read_file(path, ec);
  if (ec) pool::fail(ec, "zio::fs::read_file", path.string());
  return data;
}

void write_file(const std::filesystem::path& path, std::string_view data, error_code& ec) {
  // The job writes its own copy: a cancelled caller may free `data` at once.
  auto error = zio::detail::call_on_pool("zio::fs::write_file", ec,
                          [path = path.string(), data = std::string(data)] { return write_all(path, data); });
  if (error && *error) ec = errno_code(*error);
}

void write_file(const std::filesystem::path& path, std::string_view data) {
  error_code ec;
  write_file(path, data, ec);
  if (ec) pool::fail(ec, "zio::fs::write_file", path.string());
}

FileStat stat(const std::filesystem::path& path, error_code& ec) {
  auto done = zio::detail::call_on_pool("zio::fs::stat", ec, [path = path.string()] {
    Stated result;
    struct ::stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      result.error = errno;
      return result;
    }
    result.stat.type = S_ISREG(st.st_mode)   ? FileType::regular
                       : S_ISDIR(st.st_mode) ? FileType::directory
                                             : FileType::other;
    result.stat.size = static_cast<std::uint64_t>(st.st_size);
    const auto since_epoch = std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
    result.stat.modified = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
    return result;
  });
  if (!done) return {};
  if (done->error) {
    ec = errno_code(done->error);
    return {};
  }
  return done->stat;
}

FileStat stat(const std::filesystem::path& path) {
  error_code ec;
  FileStat result = stat(path, ec);
  if (ec) pool::fail(ec, "zio::fs::stat", path.string());
  return result;
}

void rename(const std::filesystem::path& from, const std::filesystem::path& to, error_code& ec) {
  auto error = zio::detail::call_on_pool("zio::fs::rename", ec, [from = from.string(), to = to.string()] {
    return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
  });
  if (error && *error) ec = errno_code(*error);
}

void rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  error_code ec;
  rename(from, to, ec);
  if (ec) {
    const std::string what = "zio::fs::rename(\"" + from.string() + "\", \"" + to.string() + "\")";
    zio::detail::throw_error(ec, what.c_str());
  }
}

void remove(const std::filesystem::path& path, error_code& ec) {
  // std::remove (C's remove(3)) unlinks a file and rmdirs a directory.
  auto error = zio::detail::call_on_pool("zio::fs::remove", ec,
                          [path = path.string()] { return std::remove(path.c_str()) == 0 ? 0 : errno; });
  if (error && *error) ec = errno_code(*error);
}

void remove(const std::filesystem::path& path) {
  error_code ec;
  remove(path, ec);
  if (ec) pool::fail(ec, "zio::fs::remove", path.string());
}

}  // namespace zio::fs
