#pragma once
/// Whole-file and path operations of zio::fs: read_file, write_file, stat, rename, remove.
///
/// Each runs its system calls as one job on the runtime's blocking pool, so only the calling
/// fiber waits. Fiber only (NotInFiber on a plain thread). Cancellation (a fiber cancel or its
/// with_timeout) makes the call fail at once with Canceled / errc::canceled while the job
/// finishes alone; the job owns its data (read_file's string, write_file's copy), so nothing
/// of the caller's is touched after the return, but a cancelled write_file, rename or remove
/// may still take effect. Errors are system_error naming the call and the path, e.g.
/// `zio::fs::read_file("/nope"): No such file or directory`.
#include <zio/error.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace zio::fs {

/// What kind of file a path names (symbolic links are followed).
enum class FileType { regular, directory, other };

/// What stat() reports.
struct FileStat {
  FileType type = FileType::other;
  std::uint64_t size = 0;                           ///< bytes (for a regular file)
  std::chrono::system_clock::time_point modified;   ///< last modification of the contents
};

/// The whole contents of the file at `path`.
std::string read_file(const std::filesystem::path& path);
std::string read_file(const std::filesystem::path& path, error_code& ec);

/// Replaces the file at `path` with `data`, creating it (mode 0666 before the umask) if needed.
/// Does not sync: open it with File and call sync() when the data must survive a crash.
void write_file(const std::filesystem::path& path, std::string_view data);
void write_file(const std::filesystem::path& path, std::string_view data, error_code& ec);

/// Type, size and modification time of `path` (stat(2), following symbolic links).
FileStat stat(const std::filesystem::path& path);
FileStat stat(const std::filesystem::path& path, error_code& ec);

/// Renames `from` to `to`, replacing a file at `to` (rename(2): same file system only).
void rename(const std::filesystem::path& from, const std::filesystem::path& to);
void rename(const std::filesystem::path& from, const std::filesystem::path& to, error_code& ec);

/// Removes a file or an empty directory. A missing path is an error (no_such_file_or_directory).
void remove(const std::filesystem::path& path);
void remove(const std::filesystem::path& path, error_code& ec);

}  // namespace zio::fs
