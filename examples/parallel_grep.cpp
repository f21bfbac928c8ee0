// A parallel grep: one fiber per file reads it (file I/O runs on io_uring or the blocking
// pool, never on the executor's thread) and sends its matching lines over a channel; main
// prints them as they come.
//
//   build/release/examples/parallel_grep PATTERN FILE...
#include <zio/zio.hpp>

#include <cstdio>
#include <string>
#include <string_view>

struct Match {
  std::string file;
  int line_number;
  std::string line;
};

// Sends every line of `path` containing `pattern`; a file that cannot be read is reported.
void grep_file(const std::string& path, const std::string& pattern, zio::Channel<Match>& out) {
  zio::error_code ec;
  const std::string text = zio::fs::read_file(path, ec);
  if (ec) {
    out.send(Match{path, 0, "error: " + ec.message()});
    return;
  }
  int number = 0;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line(text.data() + start, end - start);
    ++number;
    if (line.find(pattern) != std::string_view::npos) out.send(Match{path, number, std::string(line)});
    start = end + 1;
  }
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: parallel_grep PATTERN FILE...\n");
    return 2;
  }
  const std::string pattern = argv[1];
  zio::Runtime rt;
  return rt.block_on([&] {
    zio::Channel<Match> matches(64);
    auto searchers = zio::spawn([&] {
      {
        zio::TaskGroup group;
        for (int i = 2; i < argc; ++i) group.spawn([&, path = std::string(argv[i])] { grep_file(path, pattern, matches); });
        group.wait();
      }
      matches.close();  // every file is done: end the printing loop
    });
    int found = 0;
    for (const Match& m : matches) {
      if (m.line_number == 0) {
        std::printf("%s: %s\n", m.file.c_str(), m.line.c_str());
        continue;
      }
      std::printf("%s:%d: %s\n", m.file.c_str(), m.line_number, m.line.c_str());
      ++found;
    }
    searchers.join();
    return found > 0 ? 0 : 1;  // like grep: 1 when nothing matched
  });
}
