#include "study/child_run.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "core/clock.h"
#include "core/file_util.h"

namespace switchyard {
namespace {

constexpr int64_t kTermGraceUs = 2'000'000;
constexpr size_t kTailChars = 2000;

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits for `pid` until `deadline_us` (steady clock); the decoded status, or
// -1 when it is still running.
int WaitUntil(pid_t pid, int64_t deadline_us) {
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return DecodeStatus(status);
    if (r < 0 && errno != EINTR) return -1;
    if (SteadyClock::Now() >= deadline_us) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string Tail(const std::string& log_path) {
  auto text = ReadFile(log_path);
  if (!text.ok()) return "(no output)";
  std::string tail = text->size() > kTailChars ? text->substr(text->size() - kTailChars) : *text;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  return tail.empty() ? "(no output)" : tail;
}

}  // namespace

Result<ChildOutcome> RunChild(const std::vector<std::string>& argv_strings, const std::string& log_path,
                              int64_t timeout_us) {
  if (argv_strings.empty()) return InvalidArgument("RunChild: no command");
  std::vector<std::string> copy = argv_strings;
  std::vector<char*> argv;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);

  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return Unavailable("cannot create '" + log_path + "': " + std::strerror(errno));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const int64_t started = SteadyClock::Now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    return Unavailable(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // Both sides set the group, so it exists before either relies on it.
  ::setpgid(pid, pid);
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);

  ChildOutcome outcome;
  outcome.exit_status = WaitUntil(pid, started + timeout_us);
  if (outcome.exit_status < 0) {
    outcome.timed_out = true;
    ::kill(-pid, SIGTERM);
    outcome.exit_status = WaitUntil(pid, SteadyClock::Now() + kTermGraceUs);
    if (outcome.exit_status < 0) {
      ::kill(-pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      outcome.exit_status = DecodeStatus(status);
    }
  }
  // A worker that outlived its coordinator would go on using the machine
  // during the next cell.
  ::kill(-pid, SIGKILL);
  outcome.wall_s = static_cast<double>(SteadyClock::Now() - started) / 1e6;
  outcome.output_tail = Tail(log_path);
  return outcome;
}

}  // namespace switchyard
