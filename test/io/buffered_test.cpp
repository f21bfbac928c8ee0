#include <zio/io/buffered_reader.hpp>
#include <zio/io/buffered_writer.hpp>
#include <zio/io/stream_buf.hpp>

#include "io/io_support.hpp"
#include "support/runtime.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include <atomic>
#include <string>
#include <tuple>
#include <vector>

using namespace std::chrono_literals;
using zio::io::BufferedReader;
using zio::io::BufferedWriter;
using zio::io::IoStream;
using zio::test::FiberSocket;
using zio::test::MemoryStream;
using zio::test::run_in_runtime;

// The buffered layers are Beast/Asio sync streams, and stack.
static_assert(boost::beast::is_sync_read_stream<BufferedReader<MemoryStream>>::value);
static_assert(boost::beast::is_sync_write_stream<BufferedWriter<MemoryStream>>::value);
static_assert(boost::beast::is_sync_stream<BufferedReader<MemoryStream&>>::value);  // writes pass through
static_assert(boost::beast::is_sync_stream<BufferedWriter<BufferedReader<MemoryStream&>>>::value);
static_assert(boost::beast::is_sync_read_stream<BufferedReader<BufferedReader<FiberSocket>>>::value);

namespace {

std::vector<std::string> all_lines(BufferedReader<MemoryStream&>& reader) {
  std::vector<std::string> lines;
  while (auto line = reader.read_line()) lines.push_back(*line);
  return lines;
}

}  // namespace

TEST_CASE("BufferedReader: lines with \\n and \\r\\n, empty lines, last line without newline", "[io][buffered]") {
  const std::size_t capacity = GENERATE(1, 2, 3, 5, 64);
  MemoryStream stream("alpha\r\nbeta\n\n\r\ngamma\r\n delta");
  BufferedReader<MemoryStream&> reader(stream, {.capacity = capacity});
  CHECK(all_lines(reader) == std::vector<std::string>{"alpha", "beta", "", "", "gamma", " delta"});
  CHECK_FALSE(reader.read_line());  // stays at the end
  std::string line = "untouched?";
  CHECK_FALSE(reader.read_line(line));
}

TEST_CASE("BufferedReader: a trailing newline ends the stream without an extra empty line", "[io][buffered]") {
  MemoryStream stream("one\ntwo\n");
  BufferedReader<MemoryStream&> reader(stream, {.capacity = 4});
  CHECK(all_lines(reader) == std::vector<std::string>{"one", "two"});
  MemoryStream empty("");
  BufferedReader<MemoryStream&> nothing(empty);
  CHECK(all_lines(nothing).empty());
}

TEST_CASE("BufferedReader: long text split at every boundary", "[io][buffered]") {
  const std::size_t capacity = GENERATE(1, 7, 16, 4096);
  const std::size_t chunk = GENERATE(1, 3, 50);
  std::string text;
  std::vector<std::string> expected;
  for (int i = 0; i < 200; ++i) {
    expected.push_back(std::string(static_cast<std::size_t>(i % 37), static_cast<char>('a' + i % 26)));
    text += expected.back() + (i % 2 ? "\r\n" : "\n");
  }
  MemoryStream stream(text, chunk);
  BufferedReader<MemoryStream&> reader(stream, {.capacity = capacity});
  CHECK(all_lines(reader) == expected);
}

TEST_CASE("BufferedReader: max_line stops an overlong line with message_size", "[io][buffered]") {
  MemoryStream stream("short\n0123456789ABCDEF\nok\n");
  BufferedReader<MemoryStream&> reader(stream, {.capacity = 4, .max_line = 8});
  CHECK(reader.read_line() == std::optional<std::string>("short"));

  std::string line;
  zio::error_code ec;
  CHECK_FALSE(reader.read_line(line, ec));
  CHECK(ec == boost::system::errc::message_size);
  CHECK(line == "01234567");  // the first max_line bytes, consumed
  CHECK(reader.read_line() == std::optional<std::string>("89ABCDEF"));  // exactly max_line: fine
  CHECK(reader.read_line() == std::optional<std::string>("ok"));

  // Throwing form; and memory stays bounded on a stream that never sends a newline.
  zio::test::EndlessStream endless;
  BufferedReader<zio::test::EndlessStream&> flood(endless, {.capacity = 16, .max_line = 1000});
  try {
    flood.read_line();
    FAIL("an endless line was accepted");
  } catch (const zio::system_error& e) {
    CHECK(e.code() == boost::system::errc::message_size);
  }
  CHECK(endless.total <= 1001 + 16);
}

TEST_CASE("BufferedReader: read_until keeps the delimiter; bytes, exact reads and Asio algorithms mix", "[io][buffered]") {
  MemoryStream stream("a;bb;ccc;HEADER\nBODY0123456789tail\r\n\r\nrest");
  BufferedReader<MemoryStream&> reader(stream, {.capacity = 5});
  CHECK(reader.read_until(';') == std::optional<std::string>("a;"));
  CHECK(reader.read_until(';') == std::optional<std::string>("bb;"));
  std::string out;
  CHECK(reader.read_until(';', out));
  CHECK(out == "ccc;");
  CHECK(reader.read_line() == std::optional<std::string>("HEADER"));
  char body[14];
  reader.read_exact(boost::asio::buffer(body));
  CHECK(std::string(body, sizeof body) == "BODY0123456789");
  std::string dynamic;
  std::size_t n = boost::asio::read_until(reader, boost::asio::dynamic_buffer(dynamic), "\r\n\r\n");
  CHECK(dynamic.substr(0, n) == "tail\r\n\r\n");
  dynamic.erase(0, n);
  zio::error_code ec;
  boost::asio::read(reader, boost::asio::dynamic_buffer(dynamic), ec);
  CHECK(ec == boost::asio::error::eof);
  CHECK(dynamic == "rest");
  CHECK(reader.read_until(';') == std::nullopt);
}

TEST_CASE("BufferedReader: read_exact past the end reports eof with the bytes read", "[io][buffered]") {
  MemoryStream stream("abc");
  BufferedReader<MemoryStream&> reader(stream);
  char buf[8];
  zio::error_code ec;
  CHECK(reader.read_exact(boost::asio::buffer(buf), ec) == 3);
  CHECK(ec == boost::asio::error::eof);
  MemoryStream again("abc");
  BufferedReader<MemoryStream&> thrower(again);
  CHECK_THROWS_AS(thrower.read_exact(boost::asio::buffer(buf)), zio::system_error);
}

TEST_CASE("BufferedReader: a failed or cancelled read keeps the partial line for a retry", "[io][buffered]") {
  MemoryStream stream("first line\nsecond");
  BufferedReader<MemoryStream&> reader(stream, {.capacity = 4});
  std::string line;
  // Let the reader take a few bytes of "first line", then fail.
  char one;
  reader.read_some(boost::asio::buffer(&one, 1));
  CHECK(one == 'f');
  stream.fail_read = boost::asio::error::connection_reset;
  zio::error_code ec;
  CHECK_FALSE(reader.read_line(line, ec));
  CHECK(ec == boost::asio::error::connection_reset);
  stream.fail_read = make_error_code(zio::errc::canceled);
  CHECK_THROWS_AS(reader.read_line(line), zio::Canceled);
  CHECK(reader.read_line(line));
  CHECK(line == "irst line");
  CHECK(reader.read_line() == std::optional<std::string>("second"));
}

TEST_CASE("BufferedWriter: small writes wait in the buffer until flush", "[io][buffered]") {
  MemoryStream stream("", 1000);
  BufferedWriter<MemoryStream&> writer(stream, 64);
  for (int i = 0; i < 10; ++i) writer.write_all(boost::asio::buffer(std::string("abc")));
  CHECK(stream.output.empty());
  CHECK(stream.write_calls == 0);
  CHECK(writer.buffered() == 30);
  writer.flush();
  CHECK(stream.output == "abcabcabcabcabcabcabcabcabcabc");
  CHECK(stream.write_calls < 10);  // the stream takes 1, 2, 3... bytes a call: fewer calls than writes
  CHECK(writer.buffered() == 0);
}

TEST_CASE("BufferedWriter: mixed sizes keep their order through buffer and direct writes", "[io][buffered]") {
  const std::size_t capacity = GENERATE(1, 8, 100);
  MemoryStream stream;  // accepts 1-3 bytes per write_some
  BufferedWriter<MemoryStream&> writer(stream, capacity);
  std::string expected;
  for (int i = 0; i < 60; ++i) {
    std::string piece(static_cast<std::size_t>((i * 7) % 23), static_cast<char>('A' + i % 26));
    expected += piece;
    if (i % 3 == 0) {
      boost::asio::write(writer, boost::asio::buffer(piece));  // Asio's algorithm over write_some
    } else {
      writer.write_all(boost::asio::buffer(piece));
    }
  }
  writer.flush();
  CHECK(stream.output == expected);
}

TEST_CASE("BufferedWriter: a failed flush keeps the unwritten bytes; the destructor does not flush", "[io][buffered]") {
  MemoryStream stream;
  {
    BufferedWriter<MemoryStream&> writer(stream, 64);
    writer.write_all(boost::asio::buffer(std::string("0123456789")));
    stream.fail_write = boost::asio::error::broken_pipe;
    zio::error_code ec;
    CHECK_FALSE(writer.flush(ec));
    CHECK(ec == boost::asio::error::broken_pipe);
    CHECK(writer.buffered() == 10);
    stream.fail_write = make_error_code(zio::errc::canceled);
    CHECK_THROWS_AS(writer.flush(), zio::Canceled);
    writer.flush();
    CHECK(stream.output == "0123456789");
    writer.write_all(boost::asio::buffer(std::string("dropped")));
  }
  CHECK(stream.output == "0123456789");
}

TEST_CASE("IoStream: getline and operator<< over a chunked stream", "[io][iostream]") {
  MemoryStream stream("first\r\nsecond\nthird", 2);
  IoStream<MemoryStream&> ios(stream, 4);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(ios, line)) lines.push_back(line);
  CHECK(lines == std::vector<std::string>{"first\r", "second", "third"});  // std::getline keeps "\r"
  CHECK(ios.eof());
  CHECK_FALSE(ios.bad());
  CHECK(!ios.error());

  ios.clear();
  ios << "x=";
  CHECK(stream.output.empty());  // fits the 4-byte put area
  ios << 42 << ' ' << 2.5 << '\n' << std::flush;
  CHECK(stream.output == "x=42 2.5\n");
  CHECK(ios.good());
}

TEST_CASE("IoStream: large reads and writes; reading flushes pending output", "[io][iostream]") {
  std::string big(10000, 'q');
  for (std::size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
  MemoryStream stream(big + "\nend\n", 1000);
  IoStream<MemoryStream&> ios(stream, 16);
  ios << "request";
  CHECK(stream.output.empty());
  std::string got(big.size(), '\0');
  ios.read(got.data(), static_cast<std::streamsize>(got.size()));
  CHECK(stream.output == "request");  // flushed before the first read
  CHECK(ios.gcount() == static_cast<std::streamsize>(big.size()));
  CHECK(got == big);
  std::string line;
  std::getline(ios, line);
  CHECK(line.empty());
  std::getline(ios, line);
  CHECK(line == "end");

  ios.write(big.data(), static_cast<std::streamsize>(big.size()));
  ios.flush();
  CHECK(stream.output == "request" + big);
}

TEST_CASE("IoStream: errors set badbit and come out as themselves; Canceled is never swallowed", "[io][iostream]") {
  MemoryStream stream("abc\n");
  IoStream<MemoryStream&> ios(stream);
  stream.fail_read = boost::asio::error::connection_reset;
  std::string line;
  try {
    std::getline(ios, line);
    FAIL("the read error was swallowed");
  } catch (const zio::system_error& e) {
    CHECK(e.code() == boost::asio::error::connection_reset);
  }
  CHECK(ios.bad());
  CHECK(ios.error() == boost::asio::error::connection_reset);

  ios.clear();
  stream.fail_read = make_error_code(zio::errc::canceled);
  CHECK_THROWS_AS(std::getline(ios, line), zio::Canceled);
  ios.clear();
  stream.fail_write = make_error_code(zio::errc::canceled);
  CHECK_THROWS_AS(ios << "x" << std::flush, zio::Canceled);

  // With the mask off: badbit and error() only, as a plain std stream.
  ios.clear();
  ios.exceptions(std::ios::goodbit);
  stream.fail_write = boost::asio::error::broken_pipe;
  ios << "y" << std::flush;
  CHECK(ios.bad());
  CHECK(ios.error() == boost::asio::error::broken_pipe);
}

// ---- over a real socket pair, with fibers and zio::use_fiber ----

TEST_CASE("Buffered reader and writer over a fiber socket pair", "[io][buffered]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [lines, expected] = run_in_runtime(executors, [] {
    auto [a, b] = zio::test::socket_pair();
    std::vector<std::string> sent;
    for (int i = 0; i < 300; ++i) sent.push_back(std::string(static_cast<std::size_t>(i * 13 % 301), 'k') + std::to_string(i));
    auto writer = zio::spawn([&, &a = a] {
      BufferedWriter<FiberSocket> out(FiberSocket{a}, 256);
      for (std::size_t i = 0; i < sent.size(); ++i) {
        out.write_all(boost::asio::buffer(sent[i]));
        out.write_all(boost::asio::buffer(std::string(i % 2 ? "\r\n" : "\n")));
      }
      out.flush();
      a.shutdown(zio::test::LocalSocket::shutdown_send);
    });
    BufferedReader<FiberSocket> in(FiberSocket{b}, {.capacity = 100});
    std::vector<std::string> got;
    while (auto line = in.read_line()) got.push_back(*line);
    writer.join();
    return std::pair{got, sent};
  });
  CHECK(lines == expected);
}

TEST_CASE("IoStream over a fiber socket pair: line protocol both ways", "[io][iostream]") {
  const std::size_t executors = GENERATE(1, 4);
  auto replies = run_in_runtime(executors, [] {
    auto [a, b] = zio::test::socket_pair();
    auto server = zio::spawn([&, &b = b] {
      IoStream<FiberSocket> ios(FiberSocket{b});
      std::string line;
      while (std::getline(ios, line)) ios << "echo " << line << '\n' << std::flush;
    });
    std::vector<std::string> got;
    {
      IoStream<FiberSocket> ios(FiberSocket{a}, 8);
      for (int i = 0; i < 50; ++i) {
        ios << "ping " << i << '\n';  // no flush: reading flushes
        std::string reply;
        std::getline(ios, reply);
        got.push_back(reply);
      }
      a.shutdown(zio::test::LocalSocket::shutdown_send);
      server.join();
    }
    return got;
  });
  REQUIRE(replies.size() == 50);
  CHECK(replies.front() == "echo ping 0");
  CHECK(replies.back() == "echo ping 49");
}

TEST_CASE("Buffered reads on a socket: cancel and with_timeout, then retry", "[io][buffered]") {
  const std::size_t executors = GENERATE(1, 4);
  auto [canceled, stream_canceled, timed_out, retried] = run_in_runtime(executors, [] {
    auto [a, b] = zio::test::socket_pair();
    BufferedReader<FiberSocket> in(FiberSocket{b});
    std::atomic<bool> started{false};
    auto reader = zio::spawn([&] {
      started = true;
      return in.read_line();
    });
    zio::test::yield_until([&] { return started.load(); });
    reader.cancel();
    bool was_canceled = zio::test::ended_canceled(reader);

    started = false;
    auto ios_reader = zio::spawn([&, &b = b] {
      IoStream<FiberSocket> ios(FiberSocket{b});
      started = true;
      std::string line;
      std::getline(ios, line);
    });
    zio::test::yield_until([&] { return started.load(); });
    ios_reader.cancel();
    bool ios_canceled = zio::test::ended_canceled(ios_reader);

    boost::asio::write(a, boost::asio::buffer(std::string("part")));
    bool got_timed_out = false;
    try {
      zio::with_timeout(20ms, [&] { return in.read_line(); });
    } catch (const zio::TimedOut&) {
      got_timed_out = true;
    }
    boost::asio::write(a, boost::asio::buffer(std::string("ial\n")));
    return std::tuple{was_canceled, ios_canceled, got_timed_out, in.read_line()};
  });
  CHECK(canceled);
  CHECK(stream_canceled);
  CHECK(timed_out);
  CHECK(retried == std::optional<std::string>("partial"));
}
