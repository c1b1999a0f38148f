// ServerChild: a `switchyard serve` started as a child process for one study
// cell, on a free loopback port, with its output kept for error messages.
//
// The child asks for SIGTERM when the study dies (PR_SET_PDEATHSIG), so an
// interrupted study leaves no server behind; the server's own workers follow
// it the same way. Not thread-safe: one owner.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/thread_annotations.h"

namespace switchyard {

class ServerChild {
 public:
  // Runs `binary serve --port 0 --host 127.0.0.1 <args>` and waits up to
  // `ready_timeout_us` for its ready line. Unavailable with the tail of its
  // output if it exits or stays silent.
  static Result<std::unique_ptr<ServerChild>> Start(const std::string& binary,
                                                    const std::vector<std::string>& args,
                                                    int64_t ready_timeout_us);
  ~ServerChild();
  ServerChild(const ServerChild&) = delete;
  ServerChild& operator=(const ServerChild&) = delete;

  uint16_t port() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return port_;
  }
  pid_t pid() const { return pid_; }

  // The exit status if the process has ended (128+N for a signal), without
  // waiting.
  std::optional<int> Exited();
  // SIGTERM, then SIGKILL after `grace_us`; returns the exit status.
  int Stop(int64_t grace_us = 10'000'000);
  // The last lines it printed (stdout and stderr).
  std::string OutputTail() const;

 private:
  ServerChild() = default;
  void Drain();  // the reader thread

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::optional<int> status_;
  // The reader thread writes these, the owner's thread reads them.
  mutable Mutex mu_;
  uint16_t port_ GUARDED_BY(mu_) = 0;
  std::string output_ GUARDED_BY(mu_);  // bounded: the tail only
  bool ready_ GUARDED_BY(mu_) = false;
  bool closed_ GUARDED_BY(mu_) = false;
  int64_t give_up_at_ GUARDED_BY(mu_) = 0;  // set by Stop: when the reader stops waiting for EOF
  std::thread reader_;
};

}  // namespace switchyard
