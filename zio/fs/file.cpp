// zio::fs::File: io_uring (Asio's random_access_file) or the blocking pool.
//
// Backend choice, once per File, in File::make right after open(2) succeeded:
//  1. zio built without BOOST_ASIO_HAS_IO_URING, or RuntimeOptions::io_uring_files false:
//     the pool.
//  2. Once per process, a probe ring (io_uring_queue_init) says whether the kernel allows
//     io_uring at all (seccomp, kernel.io_uring_disabled, no CONFIG_IO_URING) and has
//     IORING_FEAT_RW_CUR_POS (5.6), which read_some/write_some need for offset -1 (the kernel
//     file position). Refused: the pool, logged once at info.
//  3. A RingFile is made on the io_context of the opening executor; the first one there
//     starts Asio's io_uring_service (its own ring, 16384 entries, an eventfd in epoll). If
//     that throws (say RLIMIT_MEMLOCK on kernels before 5.12), the process stops trying:
//     this and later files use the pool, logged once at info.
//
// io_uring path: the fiber awaits async_read_some_at/async_write_some_at with use_fiber, on
// the caller's buffers. That is safe because use_fiber returns only after the operation
// completed, also when cancelled (it emits a terminal cancellation, which Asio turns into
// IORING_OP_ASYNC_CANCEL, and waits). Each call holds a copy of ring_ until then, so a
// close() meanwhile cannot release the descriptor under the operation. RingFile never closes
// the descriptor itself: it releases it from Asio, and FileDescriptor (which it shares) closes.
//
// Pool path: every system call runs as a pool job (pool::call), and each job owns what it
// touches (see pool_call.hpp): the descriptor through a shared_ptr copy, a read's buffer, a
// write's copy of the data. The calling fiber only copies in before the job and out after it
// succeeded, so a cancelled fiber can return while its job is still blocked in the kernel.
// open, size and sync take this path on both backends.
//
// errno is read inside the jobs, on plain pool threads: a fiber never reads errno across a
// suspension (see DESIGN.md, "TLS caching").
#include <zio/fs/file.hpp>

#include <zio/detail/executor.hpp>
#include <zio/detail/log.hpp>
#include <zio/detail/runtime_core.hpp>
#include <zio/fs/pool_call.hpp>

#include <boost/asio/error.hpp>

#if defined(BOOST_ASIO_HAS_IO_URING)
#include <zio/io/use_fiber.hpp>

#include <boost/asio/random_access_file.hpp>

#include <liburing.h>

#include <atomic>
#endif

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace zio::detail {

/// Owns one descriptor; the last owner (the File, or a pool job still using it) closes it.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);  // Linux frees the descriptor even on EINTR: never retry
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const noexcept { return fd_; }
  /// Gives up ownership; the caller closes.
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

#if defined(BOOST_ASIO_HAS_IO_URING)
/// The io_uring side of an open descriptor: Asio's random_access_file on the io_context of
/// the executor that opened it. Shares the FileDescriptor, which alone closes the descriptor.
class RingFile {
 public:
  /// Throws system_error if the io_context's io_uring service cannot start.
  RingFile(boost::asio::io_context& io, std::shared_ptr<FileDescriptor> fd)
      : fd_(std::move(fd)), file_(io, fd_->get()) {}
  ~RingFile() {
    error_code ignored;
    file_.release(ignored);  // leave the close to fd_
  }
  RingFile(const RingFile&) = delete;
  RingFile& operator=(const RingFile&) = delete;

  boost::asio::random_access_file& file() noexcept { return file_; }

 private:
  std::shared_ptr<FileDescriptor> fd_;  // declared first: outlives file_
  boost::asio::random_access_file file_;
};
#else
class RingFile {};
#endif

}  // namespace zio::detail

namespace zio::fs {
namespace {

using zio::detail::FileDescriptor;

error_code errno_code(int error) noexcept { return {error, boost::system::system_category()}; }

/// What an open job hands back. Owning the descriptor in a shared_ptr from the start means a
/// result dropped by a cancelled caller closes it.
struct Opened {
  std::shared_ptr<FileDescriptor> fd;
  int error = 0;
};

struct Transferred {
  std::unique_ptr<char[]> data;  // a read's bytes; the job's own buffer
  std::size_t n = 0;
  int error = 0;
};

/// On a pool thread: runs one read or write system call, retrying EINTR, and keeps errno.
template <typename SystemCall>
Transferred transfer(SystemCall call) {
  Transferred result;
  ssize_t n;
  do {
    n = call();
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    result.error = errno;
  } else {
    result.n = static_cast<std::size_t>(n);
  }
  return result;
}

/// The open(2) flags for `options`, or invalid_argument for a combination that makes no sense.
bool open_flags(const OpenOptions& options, int& flags) noexcept {
  const bool writes = options.write || options.append;
  if (!options.read && !writes) return false;
  if (options.truncate && !writes) return false;
  flags = O_CLOEXEC | (options.read && writes ? O_RDWR : writes ? O_WRONLY : O_RDONLY);
  if (options.append) flags |= O_APPEND;
  if (options.truncate) flags |= O_TRUNC;
  if (options.create || options.exclusive) flags |= O_CREAT;
  if (options.exclusive) flags |= O_EXCL;
  return true;
}

#if defined(BOOST_ASIO_HAS_IO_URING)
/// Set once an io_context's io_uring service failed to start: every later File uses the pool.
std::atomic<bool> ring_failed{false};

/// Step 2 of the backend choice (see the top of this file); the probe runs once per process.
bool kernel_allows_io_uring() {
  static const bool allowed = [] {
    ::io_uring ring{};
    const int result = ::io_uring_queue_init(2, &ring, 0);
    if (result < 0) {
      zio::detail::logger().info("zio::fs: the kernel refuses io_uring ({}); files use the blocking pool",
                                 errno_code(-result).message());
      return false;
    }
    const bool current_position = (ring.features & IORING_FEAT_RW_CUR_POS) != 0;
    ::io_uring_queue_exit(&ring);
    if (!current_position) {
      zio::detail::logger().info("zio::fs: io_uring lacks IORING_FEAT_RW_CUR_POS; files use the blocking pool");
      return false;
    }
    zio::detail::logger().debug("zio::fs: files use io_uring");
    return true;
  }();
  return allowed && !ring_failed.load(std::memory_order_relaxed);
}

/// The kernel file position, as io_uring spells it for read/write (IORING_FEAT_RW_CUR_POS).
constexpr std::uint64_t current_position = ~std::uint64_t{0};
#endif

/// A read or write of zero bytes, or on a closed File, needs no system call but is still a
/// blocking call (fiber check, budget, cancellation). True when there is nothing more to do;
/// `ec` then says why (bad_descriptor for a closed File).
bool nothing_to_transfer(const char* call, std::size_t size, bool open, error_code& ec) {
  if (size != 0 && open) return false;
  if ((ec = zio::detail::enter_fiber_call(call))) return true;
  if (!open) ec = boost::asio::error::bad_descriptor;
  return true;
}

/// Opens `path` on the pool; nullptr with `ec` set on failure.
std::shared_ptr<FileDescriptor> open_file(const char* call, const std::filesystem::path& path,
                                          const OpenOptions& options, error_code& ec) {
  int flags = 0;
  if (!open_flags(options, flags)) {
    zio::detail::TaskBase::current_or_throw(call);
    ec = make_error_code(boost::system::errc::invalid_argument);
    return {};
  }
  auto opened = zio::detail::call_on_pool(call, ec, [path = path.string(), flags, mode = options.permissions] {
    Opened result;
    int fd;
    do {
      fd = ::open(path.c_str(), flags, static_cast<mode_t>(mode));
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      result.error = errno;
    } else {
      result.fd = std::make_shared<FileDescriptor>(fd);
    }
    return result;
  });
  if (!opened) return nullptr;
  if (opened->error) {
    ec = errno_code(opened->error);
    return nullptr;
  }
  ec.clear();
  return std::move(opened->fd);
}

}  // namespace

File::File() noexcept = default;
File::~File() = default;  // the last owner of the descriptor closes it
File::File(File&& other) noexcept = default;
File& File::operator=(File&& other) noexcept = default;

File::File(std::shared_ptr<zio::detail::FileDescriptor> fd, std::string path) noexcept
    : fd_(std::move(fd)), path_(std::move(path)) {}

File File::make(std::shared_ptr<zio::detail::FileDescriptor> fd, std::string path) {
  File file(std::move(fd), std::move(path));
#if defined(BOOST_ASIO_HAS_IO_URING)
  // open_file succeeded, so this runs in a fiber; no switch happens until the RingFile exists.
  zio::detail::Executor* executor = zio::detail::Executor::current();
  if (executor->core().options().io_uring_files && kernel_allows_io_uring()) {
    try {
      file.ring_ = std::make_shared<zio::detail::RingFile>(executor->io(), file.fd_);
    } catch (const boost::system::system_error& e) {
      if (!ring_failed.exchange(true)) {
        zio::detail::logger().info("zio::fs: io_uring could not start ({}); files use the blocking pool", e.what());
      }
    }
  }
#endif
  return file;
}

File File::open(const std::filesystem::path& path, const OpenOptions& options, error_code& ec) {
  auto fd = open_file("zio::fs::File::open", path, options, ec);
  if (!fd) return {};
  return make(std::move(fd), path.string());
}

File File::open(const std::filesystem::path& path, const OpenOptions& options) {
  error_code ec;
  File file = open(path, options, ec);
  if (ec) pool::fail(ec, "zio::fs::File::open", path.string());
  return file;
}

File File::open(const std::filesystem::path& path, error_code& ec) { return open(path, {.read = true}, ec); }
File File::open(const std::filesystem::path& path) { return open(path, {.read = true}); }

File File::create(const std::filesystem::path& path, error_code& ec) {
  auto fd = open_file("zio::fs::File::create", path, {.write = true, .create = true, .truncate = true}, ec);
  if (!fd) return {};
  return make(std::move(fd), path.string());
}

File File::create(const std::filesystem::path& path) {
  error_code ec;
  File file = create(path, ec);
  if (ec) pool::fail(ec, "zio::fs::File::create", path.string());
  return file;
}

void File::fail(const error_code& ec, const char* operation) const {
  pool::fail(ec, (std::string("zio::fs::File::") + operation).c_str(), path_);
}

int File::native_handle() const noexcept { return fd_ ? fd_->get() : -1; }

std::size_t File::read_list(const zio::detail::MutableBufferList& buffers, std::optional<std::uint64_t> offset,
                            error_code& ec) {
  const char* call = offset ? "zio::fs::File::read_some_at" : "zio::fs::File::read_some";
  if (nothing_to_transfer(call, buffers.total_size(), fd_ != nullptr, ec)) return 0;
#if defined(BOOST_ASIO_HAS_IO_URING)
  if (ring_) {
    // Into the caller's buffers: use_fiber returns only after the operation completed. The
    // copy of ring_ keeps the descriptor registered until then, even past a close().
    const std::shared_ptr<zio::detail::RingFile> ring = ring_;
    return ring->file().async_read_some_at(offset.value_or(current_position), buffers, zio::use_fiber[ec]);
  }
#endif
  const std::size_t want = std::min(buffers.total_size(), pool::max_transfer);
  // The job reads into its own buffer: if this fiber is cancelled, it returns while the job
  // may still be in read(2), and `buffers` may be gone by the time the job ends.
  auto done = zio::detail::call_on_pool(call, ec, [fd = fd_, want, offset] {
    std::unique_ptr<char[]> data(new char[want]);
    Transferred result = transfer([&] {
      return offset ? ::pread(fd->get(), data.get(), want, static_cast<off_t>(*offset))
                    : ::read(fd->get(), data.get(), want);
    });
    result.data = std::move(data);
    return result;
  });
  if (!done) return 0;
  if (done->error) {
    ec = errno_code(done->error);
    return 0;
  }
  if (done->n == 0) {
    ec = boost::asio::error::eof;  // as a socket reports it, so asio::read stops there
    return 0;
  }
  ec.clear();
  return boost::asio::buffer_copy(buffers, boost::asio::const_buffer(done->data.get(), done->n));
}

std::size_t File::write_list(const zio::detail::ConstBufferList& buffers, std::optional<std::uint64_t> offset,
                             error_code& ec) {
  const char* call = offset ? "zio::fs::File::write_some_at" : "zio::fs::File::write_some";
  if (nothing_to_transfer(call, buffers.total_size(), fd_ != nullptr, ec)) return 0;
#if defined(BOOST_ASIO_HAS_IO_URING)
  if (ring_) {
    const std::shared_ptr<zio::detail::RingFile> ring = ring_;  // as in read_list
    return ring->file().async_write_some_at(offset.value_or(current_position), buffers, zio::use_fiber[ec]);
  }
#endif
  // The job writes its own copy: a cancelled caller may reuse or free `buffers` at once.
  const std::size_t want = std::min(buffers.total_size(), pool::max_transfer);
  std::unique_ptr<char[]> copy(new char[want]);
  boost::asio::buffer_copy(boost::asio::mutable_buffer(copy.get(), want), buffers);
  auto done = zio::detail::call_on_pool(call, ec, [fd = fd_, data = std::move(copy), want, offset] {
    return transfer([&] {
      return offset ? ::pwrite(fd->get(), data.get(), want, static_cast<off_t>(*offset))
                    : ::write(fd->get(), data.get(), want);
    });
  });
  if (!done) return 0;
  if (done->error) {
    ec = errno_code(done->error);
    return 0;
  }
  ec.clear();
  return done->n;
}

std::size_t File::read_exact_at(std::uint64_t offset, boost::asio::mutable_buffer buffer, error_code& ec) {
  std::size_t done = 0;
  ec.clear();
  while (done < buffer.size() && !ec) done += read_some_at(offset + done, buffer + done, ec);
  return done;
}

void File::read_exact_at(std::uint64_t offset, boost::asio::mutable_buffer buffer) {
  error_code ec;
  read_exact_at(offset, buffer, ec);
  if (ec) fail(ec, "read_exact_at");
}

std::size_t File::write_all(boost::asio::const_buffer buffer, error_code& ec) {
  std::size_t done = 0;
  ec.clear();
  while (done < buffer.size() && !ec) done += write_some(buffer + done, ec);
  return done;
}

void File::write_all(boost::asio::const_buffer buffer) {
  error_code ec;
  write_all(buffer, ec);
  if (ec) fail(ec, "write_all");
}

std::size_t File::write_all_at(std::uint64_t offset, boost::asio::const_buffer buffer, error_code& ec) {
  std::size_t done = 0;
  ec.clear();
  while (done < buffer.size() && !ec) done += write_some_at(offset + done, buffer + done, ec);
  return done;
}

void File::write_all_at(std::uint64_t offset, boost::asio::const_buffer buffer) {
  error_code ec;
  write_all_at(offset, buffer, ec);
  if (ec) fail(ec, "write_all_at");
}

std::uint64_t File::size(error_code& ec) {
  if (!fd_) {
    zio::detail::TaskBase::current_or_throw("zio::fs::File::size");
    ec = boost::asio::error::bad_descriptor;
    return 0;
  }
  struct Sized {
    std::uint64_t size = 0;
    int error = 0;
  };
  auto done = zio::detail::call_on_pool("zio::fs::File::size", ec, [fd = fd_] {
    Sized result;
    struct ::stat st {};
    if (::fstat(fd->get(), &st) != 0) {
      result.error = errno;
    } else {
      result.size = static_cast<std::uint64_t>(st.st_size);
    }
    return result;
  });
  if (!done) return 0;
  if (done->error) {
    ec = errno_code(done->error);
    return 0;
  }
  return done->size;
}

std::uint64_t File::size() {
  error_code ec;
  const std::uint64_t n = size(ec);
  if (ec) fail(ec, "size");
  return n;
}

void File::sync(error_code& ec) {
  if (!fd_) {
    zio::detail::TaskBase::current_or_throw("zio::fs::File::sync");
    ec = boost::asio::error::bad_descriptor;
    return;
  }
  auto error = zio::detail::call_on_pool("zio::fs::File::sync", ec, [fd = fd_] {
    int result;
    do {
      result = ::fsync(fd->get());
    } while (result != 0 && errno == EINTR);
    return result == 0 ? 0 : errno;
  });
  if (error && *error) ec = errno_code(*error);
}

void File::sync() {
  error_code ec;
  sync(ec);
  if (ec) fail(ec, "sync");
}

void File::close(error_code& ec) noexcept {
  ec.clear();
  ring_.reset();  // first: it shares the descriptor (a call in flight keeps its own copy)
  auto fd = std::move(fd_);
  // Sole owner: close here and report the error. Otherwise a cancelled call's job still uses
  // the descriptor and closes it when it ends (releasing our share is all we may do).
  if (fd && fd.use_count() == 1) {
    if (::close(fd->release()) != 0 && errno != EINTR) ec = errno_code(errno);
  }
}

void File::close() {
  error_code ec;
  close(ec);
  if (ec) fail(ec, "close");
}

}  // namespace zio::fs
