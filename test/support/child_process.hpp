#pragma once
// Starting a program under test as a child process and reading what it prints.
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace zio::test {

/// Which of the child's outputs go to the pipe returned by start_process.
enum class Capture { stdout_only, stderr_only, both };

struct ChildProcess {
  pid_t pid = -1;   // -1 when fork or pipe failed
  int output = -1;  // read end of the captured output; the caller closes it
};

/// Runs `path` with `args` (argv[0] is `path`), its captured output on a pipe.
inline ChildProcess start_process(const std::string& path, std::vector<std::string> args, Capture capture) {
  args.insert(args.begin(), path);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (::pipe(out) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (capture != Capture::stderr_only) ::dup2(out[1], STDOUT_FILENO);
    if (capture != Capture::stdout_only) ::dup2(out[1], STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  if (pid < 0) {
    ::close(out[0]);
    return {};
  }
  return {pid, out[0]};
}

/// Everything left on `fd` until the writer closes it; closes `fd`.
inline std::string read_to_end(int fd) {
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

/// Waits for the child; its exit status, or 128 + the signal that killed it.
inline int wait_exit_code(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace zio::test
