#pragma once
/// zio::fs::File: a file whose calls block only the calling fiber.
#include <zio/detail/buffer_list.hpp>
#include <zio/error.hpp>

#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace zio::detail {
class FileDescriptor;  // an open descriptor, closed when its last owner lets go
class RingFile;        // the descriptor's io_uring side (Asio's random_access_file)
}  // namespace zio::detail

namespace zio::fs {

/// How File::open opens a file; build it with designated initialisers:
/// `File::open(path, {.write = true, .create = true, .exclusive = true})`.
/// At least one of read, write and append must be set (else invalid_argument).
struct OpenOptions {
  bool read = false;       ///< reading allowed
  bool write = false;      ///< writing allowed
  bool append = false;     ///< every write goes to the end (implies write)
  bool create = false;     ///< create the file if it does not exist
  bool truncate = false;   ///< cut an existing file to 0 bytes (needs write or append)
  bool exclusive = false;  ///< create it, failing with file_exists if the path exists (implies create)
  unsigned permissions = 0666;  ///< mode bits of a created file, before the process umask
};

/// A file opened for reading and/or writing. Every call blocks only the calling fiber while
/// the executor runs other fibers. Two backends, chosen when the file is opened:
///  - io_uring (zio built with the Meson option `io_uring`, RuntimeOptions::io_uring_files set
///    and the kernel allowing a ring): reads and writes are asynchronous io_uring operations
///    on the io_context of the executor that opened the file, straight into and out of the
///    caller's buffers. read_some/write_some use and advance the kernel's file position
///    (io_uring's offset -1), exactly as read(2)/write(2) do.
///  - the blocking pool (see RuntimeOptions::blocking_threads) otherwise.
/// open, fstat (size) and fsync always run on the blocking pool. uses_io_uring() tells which.
///
/// Models Asio's SyncReadStream and SyncWriteStream (both overload forms) and the
/// read_some_at/write_some_at of its random-access devices, so asio::read, asio::read_until,
/// asio::write, asio::read_at and Beast's synchronous code run on it. read_some() reports the
/// end of the file as boost::asio::error::eof, as a socket does.
///
/// Cancellation: every call is cancellable; it then fails with Canceled / errc::canceled
/// (TimedOut under with_timeout). With io_uring, the operation is cancelled in the kernel
/// (IORING_OP_ASYNC_CANCEL) and the call returns once it ended: a read blocked on a FIFO or
/// pipe ends at once and consumes nothing; a read or write the kernel cannot interrupt (one
/// already running on a hung network file system) is waited for. If it completed anyway, the
/// call returns its result and the cancel stays pending for the fiber's next blocking call.
///
/// On the pool, the call fails at once, even while the system call is still blocked
/// (a FIFO nobody writes, a hung network file system); the system call then finishes alone on
/// its pool thread. That job never touches the caller's buffers: a read goes into the job's
/// own buffer and is copied out only after a success, and a write sends a copy of the data.
/// A cancelled read therefore delivers nothing, but may still consume data from the file
/// position (read_some on a FIFO or at the shared position); a cancelled write may still be
/// done, wholly or partly, after the call returned. The descriptor stays open until such a
/// job ended, even past close().
///
/// On the pool, each call transfers at most 1 MiB (the pool job's buffer), so
/// read_some/write_some may transfer less than asked, which both allow; read_exact_at and the
/// write_all calls loop. Either backend takes at most 16 buffers of a sequence per call.
///
/// Thread-safety: one fiber at a time per File for calls that use the shared file position
/// (read_some, write_some, write_all); positional calls (…_at), size() and sync() may run in
/// several fibers at once (with io_uring, Asio keeps one read and one write of a File in the
/// kernel at a time and queues the others behind them). Move-only. Calls are fiber only (they
/// throw NotInFiber on a plain thread); a call on a closed File fails with bad_descriptor.
/// With io_uring, a File must be closed or destroyed before the Runtime it was opened in
/// ends, as a socket must.
class File {
 public:
  /// A closed file.
  File() noexcept;
  /// Closes the file: close(2) inline, which does not wait on the disk (sync() does); a
  /// descriptor a cancelled call's job still uses is closed when that job ends.
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;

  /// Opens `path` as `options` say. Throws system_error naming the call and the path, e.g.
  /// `zio::fs::File::open("/nope/x"): No such file or directory`.
  static File open(const std::filesystem::path& path, const OpenOptions& options);
  static File open(const std::filesystem::path& path, const OpenOptions& options, error_code& ec);
  /// Opens an existing file for reading.
  static File open(const std::filesystem::path& path);
  static File open(const std::filesystem::path& path, error_code& ec);
  /// Opens for writing, creating the file or truncating an existing one.
  static File create(const std::filesystem::path& path);
  static File create(const std::filesystem::path& path, error_code& ec);

  /// Reads at least one byte at the file position and advances it (unless `buffers` is
  /// empty); eof at the end of the file.
  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) fail(ec, "read_some");
    return n;
  }
  template <typename MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    return read_list(zio::detail::MutableBufferList(buffers), std::nullopt, ec);
  }

  /// Writes at least one byte at the file position (at the end in append mode).
  template <typename ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers) {
    error_code ec;
    const std::size_t n = write_some(buffers, ec);
    if (ec) fail(ec, "write_some");
    return n;
  }
  template <typename ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
    return write_list(zio::detail::ConstBufferList(buffers), std::nullopt, ec);
  }

  /// Reads at least one byte at `offset` (pread); the file position does not move. eof when
  /// `offset` is at or past the end.
  template <typename MutableBufferSequence>
  std::size_t read_some_at(std::uint64_t offset, const MutableBufferSequence& buffers) {
    error_code ec;
    const std::size_t n = read_some_at(offset, buffers, ec);
    if (ec) fail(ec, "read_some_at");
    return n;
  }
  template <typename MutableBufferSequence>
  std::size_t read_some_at(std::uint64_t offset, const MutableBufferSequence& buffers, error_code& ec) {
    return read_list(zio::detail::MutableBufferList(buffers), offset, ec);
  }

  /// Writes at least one byte at `offset` (pwrite); the file position does not move.
  template <typename ConstBufferSequence>
  std::size_t write_some_at(std::uint64_t offset, const ConstBufferSequence& buffers) {
    error_code ec;
    const std::size_t n = write_some_at(offset, buffers, ec);
    if (ec) fail(ec, "write_some_at");
    return n;
  }
  template <typename ConstBufferSequence>
  std::size_t write_some_at(std::uint64_t offset, const ConstBufferSequence& buffers, error_code& ec) {
    return write_list(zio::detail::ConstBufferList(buffers), offset, ec);
  }

  /// Fills `buffer` from `offset`; eof if the file ends first. The error form returns the
  /// bytes read (all, or fewer with `ec` set).
  void read_exact_at(std::uint64_t offset, boost::asio::mutable_buffer buffer);
  std::size_t read_exact_at(std::uint64_t offset, boost::asio::mutable_buffer buffer, error_code& ec);
  /// Writes all of `buffer` at the file position. The error form returns the bytes written.
  void write_all(boost::asio::const_buffer buffer);
  std::size_t write_all(boost::asio::const_buffer buffer, error_code& ec);
  /// Writes all of `buffer` at `offset`. The error form returns the bytes written.
  void write_all_at(std::uint64_t offset, boost::asio::const_buffer buffer);
  std::size_t write_all_at(std::uint64_t offset, boost::asio::const_buffer buffer, error_code& ec);

  /// The file's size in bytes now (fstat).
  std::uint64_t size();
  std::uint64_t size(error_code& ec);
  /// Waits until the file's data and metadata are on the device (fsync).
  void sync();
  void sync(error_code& ec);

  /// Closes the file; later calls fail with bad_descriptor. Closing a closed file does
  /// nothing. Runs close(2) inline. If a cancelled call's job still uses the descriptor,
  /// it is closed when that job ends and its error, if any, is not reported.
  void close();
  void close(error_code& ec) noexcept;

  bool is_open() const noexcept { return fd_ != nullptr; }
  /// The descriptor, or -1 when closed. Still owned by the File.
  int native_handle() const noexcept;
  /// The path the file was opened with (empty for a default-constructed File).
  const std::string& path() const noexcept { return path_; }
  /// Whether reads and writes go through io_uring (true) or the blocking pool (false, also
  /// when closed). See the class comment and RuntimeOptions::io_uring_files.
  bool uses_io_uring() const noexcept { return ring_ != nullptr; }

 private:
  File(std::shared_ptr<zio::detail::FileDescriptor> fd, std::string path) noexcept;
  /// Picks the backend for a freshly opened `fd` (fiber only, on the opening executor).
  static File make(std::shared_ptr<zio::detail::FileDescriptor> fd, std::string path);

  std::size_t read_list(const zio::detail::MutableBufferList& buffers, std::optional<std::uint64_t> offset,
                        error_code& ec);
  std::size_t write_list(const zio::detail::ConstBufferList& buffers, std::optional<std::uint64_t> offset,
                         error_code& ec);
  /// Throws the error of `operation` on this file, naming the path.
  [[noreturn]] void fail(const error_code& ec, const char* operation) const;

  // Shared with the pool jobs of calls in flight (see the class comment). Only the fiber
  // using the File touches this pointer.
  std::shared_ptr<zio::detail::FileDescriptor> fd_;
  // Set when the io_uring backend is used; shares fd_ and is shared with the calls in flight
  // (each holds a copy until its operation completed). Only the fiber using the File touches
  // this pointer.
  std::shared_ptr<zio::detail::RingFile> ring_;
  std::string path_;
};

}  // namespace zio::fs
