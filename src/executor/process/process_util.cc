#include "executor/process/process_util.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/clock.h"

namespace switchyard {

std::string ErrnoMessage(std::string_view what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

int PollTimeoutMs(int64_t deadline_us) {
  if (deadline_us == kNoDeadline) return -1;
  int64_t left = deadline_us - SteadyClock::Now();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<int64_t>((left + 999) / 1000, 1 << 30));
}

Status WriteAllV(int fd, iovec* iov, int iovcnt) {
  while (iovcnt > 0) {
    ssize_t n = ::writev(fd, iov, iovcnt);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) return Unavailable("peer closed its end");
      return Internal(ErrnoMessage("write", errno));
    }
    auto left = static_cast<size_t>(n);
    while (iovcnt > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --iovcnt;
    }
    if (iovcnt > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return Status::Ok();
}

Status WriteAll(int fd, const void* data, size_t size) {
  iovec iov{const_cast<void*>(data), size};
  return WriteAllV(fd, &iov, 1);
}

Status ReadAll(int fd, void* data, size_t size, int64_t deadline_us) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    if (deadline_us != kNoDeadline) {
      pollfd pfd{fd, POLLIN, 0};
      int r = ::poll(&pfd, 1, PollTimeoutMs(deadline_us));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Internal(ErrnoMessage("poll", errno));
      }
      if (r == 0) return Status(StatusCode::kDeadlineExceeded, "timed out waiting for the peer");
    }
    ssize_t n = ::read(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) return Unavailable("peer closed its end");
      return Internal(ErrnoMessage("read", errno));
    }
    if (n == 0) return Unavailable("peer closed its end");
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

void CloseAllFdsExcept(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned lo = 3;
  for (int fd : keep) {
    if (fd < 3) continue;
    auto ufd = static_cast<unsigned>(fd);
    if (ufd > lo) ::close_range(lo, ufd - 1, 0);
    lo = std::max(lo, ufd + 1);
  }
  ::close_range(lo, ~0U, 0);
}

bool BecomeChildOf(pid_t expected_parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died between fork and prctl: then we were reparented
  // already and the death signal will never come.
  if (::getppid() != expected_parent) return false;
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGCHLD, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  return true;
}

void BlockSigpipeInThisThread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// Through syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++.
UniqueFd OpenPidfd(pid_t pid) { return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

namespace {

// Whether `pid` is gone; reaps it when it is our child.
bool Gone(pid_t pid, bool is_child) {
  if (is_child) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    return r == pid || (r < 0 && errno == ECHILD);
  }
  // Not ours (the zygote reaps it): gone once the pid has left the table.
  return ::kill(pid, 0) < 0 && errno != EPERM;
}

}  // namespace

void WaitForProcessExit(pid_t pid, const UniqueFd& pidfd, bool is_child, int64_t grace_us) {
  if (pid <= 0) return;
  int64_t kill_at = SteadyClock::Now() + grace_us;
  int64_t give_up_at = -1;
  while (!Gone(pid, is_child)) {
    int64_t now = SteadyClock::Now();
    if (give_up_at < 0 && now >= kill_at) {
      if (!pidfd.valid() || ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) < 0) {
        ::kill(pid, SIGKILL);
      }
      give_up_at = now + 5'000'000;
    } else if (give_up_at >= 0 && now >= give_up_at) {
      return;  // an unkillable process (uninterruptible sleep): nothing more to do
    }
    if (pidfd.valid()) {
      // Readable once the process has exited; after that only the parent's
      // reaping is left, which is quick (or ours, in Gone()).
      pollfd pfd{pidfd.get(), POLLIN, 0};
      int64_t until = give_up_at >= 0 ? give_up_at : kill_at;
      int r = ::poll(&pfd, 1, PollTimeoutMs(until));
      if (r > 0 && is_child) continue;
      if (r > 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

Status RequireSingleThreaded(std::string_view what) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    std::getline(comm, name);
    names.push_back(e.path().filename().string() + " (" + name + ")");
  }
#if defined(__SANITIZE_THREAD__)
  // TSan's runtime starts a background thread of its own after a process's
  // first pthread_create (LibTorch's at::set_num_threads makes and joins a
  // pool thread during the models' warm-up); the runtime forks safely and the
  // thread holds nothing of ours. So the check is one thread looser there.
  constexpr size_t kRuntimeThreads = 1;
#else
  constexpr size_t kRuntimeThreads = 0;
#endif
  if (ec || names.size() <= 1 + kRuntimeThreads) return Status::Ok();  // cannot tell: do not block
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  return InvalidArgument(std::string(what) + " needs a single-threaded process, but this one already has " +
                         std::to_string(names.size()) + " threads: " + list +
                         ". A library that starts threads when it loads is the usual cause: with LibTorch, "
                         "select the OpenMP build of OpenBLAS (scripts/install-deps.sh does)");
}

}  // namespace switchyard
