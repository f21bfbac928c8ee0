// zio::fs: cancelling and timing out calls blocked in the kernel, and misuse.
#include <zio/fs/file.hpp>

#include "fs/fs_support.hpp"
#include "support/runtime.hpp"

#include <zio/fs/operations.hpp>

#include <boost/asio/buffer.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

using namespace zio;
using namespace std::chrono_literals;
using zio::test::expect_io_uring;
using zio::test::file_runtime;
using zio::test::ms_since;
using zio::test::open_descriptors;
using zio::test::open_fifo_writer;
using zio::test::run_in_runtime;
using zio::test::TempDir;
namespace asio = boost::asio;
namespace stdfs = std::filesystem;

TEST_CASE("File: a fiber blocked in a read is cancelled at once; the job ends alone", "[fs][file][cancel]") {
  const bool io_uring = GENERATE(true, false);
  const std::size_t executors = GENERATE(1, 4);
  CAPTURE(io_uring, executors);
  const bool expected = expect_io_uring(io_uring);
  bool used = !expected;
  TempDir dir;
  const stdfs::path fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string buffer(16, '.');  // outlives the runtime: the late job must never write here
  bool canceled = false;
  double cancel_ms = -1;
  int ticks_while_blocked = 0;
  int writer = -1;
  Runtime rt(file_runtime(executors, io_uring));
  rt.block_on([&] {
    ResetEvent opened;
    auto reader = spawn([&] {
      // Read and write: opening a FIFO so does not wait for a writer, and the read then
      // blocks in read(2) on a pool thread, as on a hung disk (or waits in the ring).
      fs::File file = fs::File::open(fifo, {.read = true, .write = true});
      used = file.uses_io_uring();
      opened.set();
      file.read_some(asio::buffer(buffer));
    });
    opened.wait();
    // The executor is free while the read is blocked: this fiber still runs on it (and with
    // one executor, nothing else could run it). The sleeps also let the job reach read(2).
    for (; ticks_while_blocked < 20; ++ticks_while_blocked) sleep_for(1ms);
    CHECK_FALSE(reader.done());
    const auto start = Clock::now();
    reader.cancel();
    canceled = zio::test::ended_canceled(reader);
    cancel_ms = ms_since(start);
    // Pool: unblock the pool thread so the runtime can shut down: the job reads this byte into
    // its own buffer and drops it. io_uring: the kernel cancelled the read and the reader
    // closed the FIFO, so there is nothing to unblock (and no reader for a writer to open).
    if (!used) {
      writer = open_fifo_writer(fifo);
      if (writer >= 0) CHECK(::write(writer, "X", 1) == 1);
    }
  });
  if (writer >= 0) ::close(writer);
  CHECK(used == expected);
  CHECK((used || writer >= 0));
  CHECK(canceled);
  CHECK(cancel_ms < 1000);  // the read itself never ends on its own
  CHECK(ticks_while_blocked == 20);
  CHECK(buffer == std::string(16, '.'));
}

TEST_CASE("File: with_timeout around a blocked read throws TimedOut", "[fs][file][cancel]") {
  const bool io_uring = GENERATE(true, false);
  const std::size_t executors = GENERATE(1, 4);
  CAPTURE(io_uring, executors);
  const bool expected = expect_io_uring(io_uring);
  bool used = !expected;
  std::string left_over;
  TempDir dir;
  const stdfs::path fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  double waited_ms = 0;
  error_code ec_form;
  int writer = -1;
  Runtime rt(file_runtime(executors, io_uring));
  rt.block_on([&] {
    fs::File file = fs::File::open(fifo, {.read = true, .write = true});
    used = file.uses_io_uring();
    char byte = 0;
    const auto start = Clock::now();
    CHECK_THROWS_AS(with_timeout(30ms, [&] { return file.read_some(asio::buffer(&byte, 1)); }), TimedOut);
    waited_ms = ms_since(start);
    // The error-code form reports the interruption instead of throwing.
    with_timeout(10ms, [&] { return file.read_some(asio::buffer(&byte, 1), ec_form); });
    writer = open_fifo_writer(fifo);
    if (writer >= 0) CHECK(::write(writer, "XY", 2) == 2);  // pool: one byte for each abandoned job
    if (used && writer >= 0) {
      // io_uring cancelled both reads in the kernel: neither consumed a byte.
      left_over.resize(2);
      left_over.resize(file.read_some(asio::buffer(left_over)));
    }
  });
  if (writer >= 0) ::close(writer);
  CHECK(writer >= 0);
  CHECK(used == expected);
  CHECK(left_over == (used ? "XY" : ""));
  CHECK(waited_ms >= 30);
  CHECK(ec_form == boost::system::errc::operation_canceled);
}

TEST_CASE("File: cancelling a blocked open leaks no descriptor", "[fs][file][cancel]") {
  TempDir dir;
  const stdfs::path fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::size_t descriptors_before = open_descriptors();
  bool canceled = false;
  int writer = -1;
  {
    run_in_runtime(1, [&] {
      // Read-only: open(2) of a FIFO waits for a writer, on a pool thread.
      auto opener = spawn([&] { fs::File::open(fifo); });
      sleep_for(20ms);  // lets the job reach open(2); the test holds either way
      opener.cancel();
      canceled = zio::test::ended_canceled(opener);
      // Now let the open succeed: its result, an open descriptor nobody waits for, is dropped.
      writer = open_fifo_writer(fifo);
    });
  }
  if (writer >= 0) ::close(writer);
  CHECK(canceled);
  CHECK(writer >= 0);
  CHECK(open_descriptors() == descriptors_before);
}

TEST_CASE("fs: calls from a plain thread throw NotInFiber", "[fs][misuse]") {
  TempDir dir;
  error_code ec;
  CHECK_THROWS_AS(fs::File::open(dir / "x"), NotInFiber);
  CHECK_THROWS_AS(fs::File::open(dir / "x", ec), NotInFiber);
  CHECK_THROWS_AS(fs::File::create(dir / "x"), NotInFiber);
  CHECK_THROWS_AS(fs::read_file(dir / "x"), NotInFiber);
  CHECK_THROWS_AS(fs::write_file(dir / "x", "data", ec), NotInFiber);
  CHECK_THROWS_AS(fs::stat(dir.path()), NotInFiber);
  CHECK_THROWS_WITH(fs::remove(dir / "x"), Catch::Contains("zio::fs::remove"));
  fs::File closed;
  char byte = 0;
  CHECK_THROWS_AS(closed.read_some(asio::buffer(&byte, 1), ec), NotInFiber);
}
