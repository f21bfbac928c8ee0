// zio::fs: File and the path operations. File's tests run on both backends: io_uring (when
// built with it and the kernel allows it) and the blocking pool.
#include <zio/fs/file.hpp>

#include "fs/fs_support.hpp"
#include "support/runtime.hpp"

#include <zio/fs/operations.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/read_at.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

using namespace zio;
using namespace std::chrono_literals;
using zio::test::ms_since;
using zio::test::run_in_runtime;
namespace asio = boost::asio;
namespace stdfs = std::filesystem;

static_assert(boost::beast::is_sync_read_stream<fs::File>::value);
static_assert(boost::beast::is_sync_write_stream<fs::File>::value);
static_assert(!std::is_copy_constructible_v<fs::File> && std::is_nothrow_move_constructible_v<fs::File>);

using zio::test::TempDir;
using zio::test::checksum;
using zio::test::expect_io_uring;
using zio::test::file_runtime;
using zio::test::open_fifo_writer;
using zio::test::pattern;

TEST_CASE("File: uses io_uring when asked and the kernel allows it, else the pool", "[fs][file]") {
  const bool io_uring = GENERATE(true, false);
  const std::size_t executors = GENERATE(1, 4);
  CAPTURE(io_uring, executors);
  const bool expected = expect_io_uring(io_uring);
  TempDir dir;
  bool opened_uses = !expected;
  bool created_uses = !expected;
  bool closed_uses = true;
  std::string contents;
  Runtime rt(file_runtime(executors, io_uring));
  rt.block_on([&] {
    fs::File out = fs::File::create(dir / "f");
    created_uses = out.uses_io_uring();
    out.write_all(asio::buffer(std::string_view("via the chosen backend")));
    out.close();
    closed_uses = out.uses_io_uring();
    fs::File in = fs::File::open(dir / "f");
    opened_uses = in.uses_io_uring();
    contents.resize(64);
    error_code ec;
    contents.resize(asio::read(in, asio::buffer(contents), ec));
  });
  CHECK(created_uses == expected);
  CHECK(opened_uses == expected);
  CHECK_FALSE(closed_uses);
  CHECK(contents == "via the chosen backend");
}

TEST_CASE("File: 64 MiB written and read back with the same checksum", "[fs][file]") {
  const bool io_uring = GENERATE(true, false);
  const std::size_t executors = GENERATE(1, 4);
  CAPTURE(io_uring, executors);
  const bool ring = expect_io_uring(io_uring);
  bool used_out = !ring;
  bool used_in = !ring;
  TempDir dir;
  const stdfs::path path = dir / "big";
  constexpr std::size_t size = std::size_t{64} << 20;
  const std::vector<char> data = pattern(size, 42);
  const std::uint64_t expected = checksum(data.data(), data.size());
  std::uint64_t read_back = 0;
  std::uint64_t read_size = 0;
  std::uint64_t reported_size = 0;
  error_code end;
  Runtime rt(file_runtime(executors, io_uring));
  rt.block_on([&] {
    fs::File out = fs::File::create(path);
    used_out = out.uses_io_uring();
    out.write_all(asio::buffer(data));
    out.sync();
    out.close();

    fs::File in = fs::File::open(path);
    used_in = in.uses_io_uring();
    reported_size = in.size();
    std::vector<char> chunk(3 << 20);  // not a multiple of the pool's 1 MiB transfers
    std::uint64_t hash = 14695981039346656037ull;
    for (;;) {
      const std::size_t n = in.read_some(asio::buffer(chunk), end);
      if (end) break;
      hash = checksum(chunk.data(), n, hash);
      read_size += n;
    }
    read_back = hash;
  });
  CHECK(used_out == ring);
  CHECK(used_in == ring);
  CHECK(end == asio::error::eof);
  CHECK(reported_size == size);
  CHECK(read_size == size);
  CHECK(read_back == expected);
}

TEST_CASE("File: positional reads and writes leave the file position alone", "[fs][file]") {
  const bool io_uring = GENERATE(true, false);
  const std::size_t executors = GENERATE(1, 4);
  CAPTURE(io_uring, executors);
  const bool expected = expect_io_uring(io_uring);
  bool used = !expected;
  TempDir dir;
  Runtime rt(file_runtime(executors, io_uring));
  rt.block_on([&] {
    fs::File file = fs::File::open(dir / "f", {.read = true, .write = true, .create = true});
    used = file.uses_io_uring();
    file.write_all_at(0, asio::buffer(std::string_view("hello world")));
    CHECK(file.write_some_at(6, asio::buffer(std::string_view("WORLD"))) == 5);
    file.write_all_at(20, asio::buffer(std::string_view("tail")));  // leaves a hole of zeros
    CHECK(file.size() == 24);

    std::string word(5, '?');
    file.read_exact_at(6, asio::buffer(word));
    CHECK(word == "WORLD");
    std::string hole(3, '?');
    file.read_exact_at(11, asio::buffer(hole));
    CHECK(hole == std::string(3, '\0'));

    // The positional calls did not move the position: a plain read starts at 0.
    std::string head(5, '?');
    CHECK(file.read_some(asio::buffer(head)) == 5);
    CHECK(head == "hello");

    // Past the end: eof, in both forms; read_exact_at reports how much it got.
    error_code ec;
    CHECK(file.read_some_at(24, asio::buffer(word), ec) == 0);
    CHECK(ec == asio::error::eof);
    std::string more(8, '?');
    CHECK(file.read_exact_at(20, asio::buffer(more), ec) == 4);
    CHECK(ec == asio::error::eof);
    CHECK_THROWS_AS(file.read_exact_at(20, asio::buffer(more)), system_error);

    // asio::read_at works on it as on a random-access device.
    std::string via_asio(11, '?');
    CHECK(asio::read_at(file, 0, asio::buffer(via_asio)) == 11);
    CHECK(via_asio == "hello WORLD");

    // The plain calls share the kernel's file position: a write goes on where the read ended.
    CHECK(file.write_some(asio::buffer(std::string_view("_"))) == 1);
    std::string after(7, '?');
    file.read_exact_at(0, asio::buffer(after));
    CHECK(after == "hello_W");
    CHECK(::lseek(file.native_handle(), 0, SEEK_CUR) == 6);
  });
  CHECK(used == expected);
}

TEST_CASE("File: fibers on every executor read one file at many offsets", "[fs][file]") {
  const bool io_uring = GENERATE(true, false);
  CAPTURE(io_uring);
  TempDir dir;
  constexpr std::size_t chunk = 128 << 10;
  constexpr int chunks = 32;
  const std::vector<char> data = pattern(chunk * chunks, 9);
  std::atomic<int> good{0};
  Runtime rt(file_runtime(4, io_uring));
  rt.block_on([&] {
    fs::write_file(dir / "f", std::string(data.begin(), data.end()));
    // Opened on one executor, read by fibers that may run (and migrate) on all of them.
    fs::File file = fs::File::open(dir / "f");
    std::vector<JoinHandle<void>> readers;
    for (int i = 0; i < chunks; ++i) {
      readers.push_back(spawn([&, i] {
        std::vector<char> got(chunk);
        for (int round = 0; round < 4; ++round) {
          const std::size_t at = chunk * static_cast<std::size_t>((i + round) % chunks);
          file.read_exact_at(at, asio::buffer(got));
          good += std::equal(got.begin(), got.end(), data.begin() + static_cast<std::ptrdiff_t>(at));
          yield();
        }
      }));
    }
    for (auto& reader : readers) reader.join();
  });
  CHECK(good.load() == chunks * 4);
}

TEST_CASE("File: append mode writes at the end", "[fs][file]") {
  const bool io_uring = GENERATE(true, false);
  CAPTURE(io_uring);
  TempDir dir;
  std::string contents;
  Runtime rt(file_runtime(1, io_uring));
  rt.block_on([&] {
    fs::write_file(dir / "log", "one\n");
    fs::File log = fs::File::open(dir / "log", {.append = true});
    log.write_all(asio::buffer(std::string_view("two\n")));
    asio::write(log, asio::buffer(std::string_view("three\n")));
    log.write_all_at(0, asio::buffer(std::string_view("four\n")));  // Linux: O_APPEND wins
    log.close();
    contents = fs::read_file(dir / "log");
  });
  CHECK(contents == "one\ntwo\nthree\nfour\n");
}

TEST_CASE("File: exclusive create fails when the file exists", "[fs][file]") {
  TempDir dir;
  const stdfs::path path = dir / "only-once";
  run_in_runtime(1, [&] {
    fs::File first = fs::File::open(path, {.write = true, .exclusive = true});
    CHECK(first.is_open());
    first.close();

    error_code ec;
    fs::File second = fs::File::open(path, {.write = true, .exclusive = true}, ec);
    CHECK(ec == boost::system::errc::file_exists);
    CHECK_FALSE(second.is_open());
    try {
      fs::File::open(path, {.write = true, .exclusive = true});
      FAIL("exclusive open of an existing file succeeded");
    } catch (const system_error& e) {
      CHECK(e.code() == boost::system::errc::file_exists);
      CHECK_THAT(e.what(), Catch::Contains("zio::fs::File::open(\"" + path.string() + "\")") &&
                               Catch::Contains("File exists"));
    }
  });
}

TEST_CASE("File: opening a missing file names the call and the path", "[fs][file]") {
  const std::size_t executors = GENERATE(1, 4);
  TempDir dir;
  const stdfs::path path = dir / "nope" / "x";
  run_in_runtime(executors, [&] {
    error_code ec;
    fs::File file = fs::File::open(path, ec);
    CHECK(ec == boost::system::errc::no_such_file_or_directory);
    CHECK_FALSE(file.is_open());
    CHECK_THROWS_WITH(fs::File::open(path), Catch::StartsWith("zio::fs::File::open(\"" + path.string() +
                                                              "\"): No such file or directory"));
    CHECK_THROWS_WITH(fs::File::create(path), Catch::StartsWith("zio::fs::File::create(\"" + path.string() + "\")"));
    CHECK_THROWS_WITH(fs::read_file(path), Catch::StartsWith("zio::fs::read_file(\"" + path.string() + "\")"));
    // Options that ask for nothing are refused before any system call.
    fs::File nothing = fs::File::open(dir / "x", fs::OpenOptions{}, ec);
    CHECK(ec == boost::system::errc::invalid_argument);
  });
}

TEST_CASE("File: read_some at the end reports eof, so asio::read and read_until work", "[fs][file]") {
  const bool io_uring = GENERATE(true, false);
  const std::size_t executors = GENERATE(1, 4);
  CAPTURE(io_uring, executors);
  TempDir dir;
  Runtime rt(file_runtime(executors, io_uring));
  rt.block_on([&] {
    fs::write_file(dir / "lines", "first\nsecond\nlast");
    fs::File file = fs::File::open(dir / "lines");
    std::string line;
    std::size_t n = asio::read_until(file, asio::dynamic_buffer(line), '\n');
    CHECK(line.substr(0, n) == "first\n");

    // asio::read stops at the end of the file with eof and returns what it got.
    std::string rest(64, '?');
    error_code ec;
    n = asio::read(file, asio::buffer(rest), ec);
    CHECK(ec == asio::error::eof);
    CHECK(line + rest.substr(0, n) == "first\nsecond\nlast");

    char byte = 0;
    CHECK(file.read_some(asio::buffer(&byte, 1), ec) == 0);
    CHECK(ec == asio::error::eof);
    try {
      file.read_some(asio::buffer(&byte, 1));
      FAIL("read_some at the end did not throw");
    } catch (const system_error& e) {
      CHECK(e.code() == asio::error::eof);
      CHECK_THAT(e.what(), Catch::StartsWith("zio::fs::File::read_some(\""));
    }
    // An empty buffer reads nothing and is no error, even at the end.
    CHECK(file.read_some(asio::mutable_buffer(), ec) == 0);
    CHECK_FALSE(ec);
  });
}

TEST_CASE("File: closed and moved-from files fail with bad_descriptor", "[fs][file]") {
  const bool io_uring = GENERATE(true, false);
  CAPTURE(io_uring);
  TempDir dir;
  Runtime rt(file_runtime(1, io_uring));
  rt.block_on([&] {
    fs::File file = fs::File::create(dir / "f");
    fs::File moved = std::move(file);
    CHECK_FALSE(file.is_open());
    CHECK(moved.is_open());
    CHECK(moved.native_handle() >= 0);
    moved.close();
    moved.close();  // closing twice does nothing
    error_code ec;
    char byte = 'x';
    moved.write_some(asio::buffer(&byte, 1), ec);
    CHECK(ec == asio::error::bad_descriptor);
    file.read_some(asio::buffer(&byte, 1), ec);
    CHECK(ec == asio::error::bad_descriptor);
    moved.size(ec);
    CHECK(ec == asio::error::bad_descriptor);
    CHECK_THROWS_AS(moved.sync(), system_error);
  });
}

TEST_CASE("fs: read_file and write_file round-trip", "[fs]") {
  const std::size_t executors = GENERATE(1, 4);
  TempDir dir;
  const std::vector<char> big = pattern((3 << 20) + 17, 7);
  run_in_runtime(executors, [&] {
    fs::write_file(dir / "empty", "");
    CHECK(fs::read_file(dir / "empty").empty());

    const std::string text(big.begin(), big.end());
    fs::write_file(dir / "big", text);
    CHECK(fs::read_file(dir / "big") == text);
    fs::write_file(dir / "big", "short");  // replaces, does not overwrite in place
    CHECK(fs::read_file(dir / "big") == "short");

    // A file whose stat size is 0 but that has contents.
    CHECK_THAT(fs::read_file("/proc/self/status"), Catch::Contains("Pid:"));

    error_code ec;
    fs::write_file(dir / "no-dir" / "f", "x", ec);
    CHECK(ec == boost::system::errc::no_such_file_or_directory);
    CHECK(fs::read_file(dir / "no-dir" / "f", ec).empty());
    CHECK(ec == boost::system::errc::no_such_file_or_directory);
  });
}

TEST_CASE("fs: stat, rename and remove", "[fs]") {
  const std::size_t executors = GENERATE(1, 4);
  TempDir dir;
  run_in_runtime(executors, [&] {
    const auto before = std::chrono::system_clock::now() - 2s;  // file system clocks are coarse
    fs::write_file(dir / "a", "12345");
    const fs::FileStat st = fs::stat(dir / "a");
    CHECK(st.type == fs::FileType::regular);
    CHECK(st.size == 5);
    CHECK(st.modified >= before);
    CHECK(st.modified <= std::chrono::system_clock::now() + 2s);
    CHECK(fs::stat(dir.path()).type == fs::FileType::directory);
    CHECK(fs::stat("/dev/null").type == fs::FileType::other);

    fs::rename(dir / "a", dir / "b");
    error_code ec;
    fs::stat(dir / "a", ec);
    CHECK(ec == boost::system::errc::no_such_file_or_directory);
    CHECK(fs::read_file(dir / "b") == "12345");
    CHECK_THROWS_WITH(fs::rename(dir / "a", dir / "c"),
                      Catch::StartsWith("zio::fs::rename(\"" + (dir / "a").string() + "\", \""));

    fs::remove(dir / "b");
    fs::remove(dir / "b", ec);
    CHECK(ec == boost::system::errc::no_such_file_or_directory);
    CHECK_THROWS_WITH(fs::stat(dir / "b"), Catch::StartsWith("zio::fs::stat(\"" + (dir / "b").string() + "\")"));
    CHECK_THROWS_WITH(fs::remove(dir / "b"), Catch::StartsWith("zio::fs::remove(\""));

    REQUIRE(::mkdir((dir / "sub").c_str(), 0700) == 0);
    fs::remove(dir / "sub");  // an empty directory
    fs::stat(dir / "sub", ec);
    CHECK(ec == boost::system::errc::no_such_file_or_directory);
  });
}

TEST_CASE("fs: 100 fibers read files while a ticker on the same executor keeps its pace", "[fs]") {
  const bool io_uring = GENERATE(true, false);
  CAPTURE(io_uring);
  const bool expected = expect_io_uring(io_uring);
  std::atomic<int> wrong_backend{0};
  TempDir dir;
  constexpr int files = 10;
  constexpr int readers = 100;
  constexpr int rounds = 40;
  constexpr std::size_t file_size = 64 << 10;  // small: the test is about the executor, not CPU throughput
  const stdfs::path fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::atomic<int> good_reads{0};
  double largest_gap_ms = 0;
  double total_ms = 0;
  int ticks = 0;
  char stuck_byte = 0;
  int writer = -1;
  // A small pool: on a 2-core machine 64 busy helper threads would take the CPU from the
  // executor, which measures the machine, not whether the executor blocks.
  Runtime rt({.executors = 1, .blocking_threads = 4, .io_uring_files = io_uring});
  rt.block_on([&] {
    std::vector<std::string> contents;
    for (int i = 0; i < files; ++i) {
      const std::vector<char> data = pattern(file_size, i + 1);
      contents.emplace_back(data.begin(), data.end());
      fs::write_file(dir / std::to_string(i), contents.back());
    }
    // One read stays blocked for the whole run, as on a hung disk: it holds a pool thread (or
    // waits in the ring), never the executor.
    fs::File stuck_file = fs::File::open(fifo, {.read = true, .write = true});
    wrong_backend += stuck_file.uses_io_uring() != expected;
    auto stuck = spawn([&] { stuck_file.read_some(asio::buffer(&stuck_byte, 1)); });

    std::atomic<bool> stop{false};
    auto ticker = spawn([&] {
      auto last = Clock::now();
      while (!stop.load()) {
        sleep_for(1ms);
        largest_gap_ms = std::max(largest_gap_ms, ms_since(last));
        last = Clock::now();
        ++ticks;
      }
    });
    const auto start = Clock::now();
    std::vector<JoinHandle<void>> fibers;
    for (int r = 0; r < readers; ++r) {
      fibers.push_back(spawn([&, r] {
        for (int round = 0; round < rounds; ++round) {
          const int i = (r + round) % files;
          if (round % 2 == 0) {
            good_reads += fs::read_file(dir / std::to_string(i)) == contents[i];
          } else {
            fs::File file = fs::File::open(dir / std::to_string(i));
            wrong_backend += file.uses_io_uring() != expected;
            std::string data(file_size, '?');
            asio::read(file, asio::buffer(data));
            good_reads += data == contents[i];
          }
        }
      }));
    }
    for (auto& fiber : fibers) fiber.join();
    total_ms = ms_since(start);
    stop.store(true);
    ticker.join();
    CHECK_FALSE(stuck.done());
    writer = open_fifo_writer(fifo);
    if (writer >= 0) CHECK(::write(writer, "S", 1) == 1);
    stuck.join();
  });
  if (writer >= 0) ::close(writer);
  CAPTURE(total_ms, ticks, largest_gap_ms);
  CHECK(good_reads.load() == readers * rounds);
  CHECK(wrong_backend.load() == 0);
  CHECK(stuck_byte == 'S');
  // A blocked executor would stop the ticker for good: the FIFO read stays stuck for the whole
  // run, and every file read would stall it too. So the bound only has to tell "ticking" from
  // "stopped", not measure speed: a quarter of the run (measured: a few ms in release, up to
  // ~100 ms under TSan on a loaded 2-core machine, of runs lasting seconds there).
  CHECK(largest_gap_ms < std::max(50.0, total_ms / 4));
  CHECK(ticks >= 10);
}
