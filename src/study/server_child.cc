#include "study/server_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "core/clock.h"

namespace switchyard {
namespace {

constexpr size_t kKeepBytes = 16 * 1024;

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Result<std::unique_ptr<ServerChild>> ServerChild::Start(const std::string& binary,
                                                        const std::vector<std::string>& args,
                                                        int64_t ready_timeout_us) {
  std::vector<std::string> argv_s = {binary, "serve", "--host", "127.0.0.1", "--port", "0"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) < 0) return Internal(std::string("pipe: ") + std::strerror(errno));
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return Unavailable(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::unique_ptr<ServerChild> child(new ServerChild());
  child->pid_ = pid;
  child->out_fd_ = out[0];
  child->reader_ = std::thread([c = child.get()] { c->Drain(); });

  const int64_t deadline = SteadyClock::Now() + ready_timeout_us;
  for (;;) {
    {
      MutexLock lock(child->mu_);
      if (child->ready_) break;
    }
    if (child->Exited()) {
      return Unavailable("the server exited before it was ready (status " + std::to_string(*child->status_) +
                         "): " + child->OutputTail());
    }
    if (SteadyClock::Now() > deadline) {
      child->Stop(1'000'000);
      return Unavailable("the server was not ready in time: " + child->OutputTail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return child;
}

void ServerChild::Drain() {
  char buf[4096];
  for (;;) {
    pollfd p{out_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    if (r == 0) {
      // A grandchild that outlives the server could hold the pipe open: stop
      // reading a while after the server is gone.
      MutexLock lock(mu_);
      if (give_up_at_ != 0 && SteadyClock::Now() > give_up_at_) return;
      continue;
    }
    ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    MutexLock lock(mu_);
    if (n <= 0) {
      closed_ = true;
      return;
    }
    output_.append(buf, static_cast<size_t>(n));
    if (port_ == 0) {
      size_t at = output_.find("listening on http://");
      if (at != std::string::npos) {
        size_t colon = output_.find(':', at + 20);
        size_t eol = output_.find('\n', at);
        if (colon != std::string::npos && eol != std::string::npos) {
          port_ = static_cast<uint16_t>(std::atoi(output_.c_str() + colon + 1));
        }
      }
    }
    if (!ready_ && port_ != 0 && output_.find("switchyard: ready") != std::string::npos) ready_ = true;
    if (output_.size() > 2 * kKeepBytes) output_.erase(0, output_.size() - kKeepBytes);
  }
}

std::optional<int> ServerChild::Exited() {
  if (status_) return status_;
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) status_ = DecodeStatus(status);
  return status_;
}

int ServerChild::Stop(int64_t grace_us) {
  if (!Exited() && pid_ > 0) {
    ::kill(pid_, SIGTERM);
    const int64_t deadline = SteadyClock::Now() + grace_us;
    while (!Exited() && SteadyClock::Now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!Exited()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      status_ = DecodeStatus(status);
    }
  }
  {
    MutexLock lock(mu_);
    give_up_at_ = SteadyClock::Now() + 2'000'000;
  }
  if (reader_.joinable()) reader_.join();  // the pipe closes with the process (and its workers)
  if (out_fd_ >= 0) {
    ::close(out_fd_);
    out_fd_ = -1;
  }
  return status_.value_or(-1);
}

std::string ServerChild::OutputTail() const {
  MutexLock lock(mu_);
  std::string tail = output_.size() > 2000 ? output_.substr(output_.size() - 2000) : output_;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  return tail.empty() ? "(no output)" : tail;
}

ServerChild::~ServerChild() { Stop(1'000'000); }

}  // namespace switchyard
