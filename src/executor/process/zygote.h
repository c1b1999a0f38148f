// Zygote: the forkserver of the `processes` executor.
//
// A single-threaded process forked from the server at the very start of
// `serve`, before any thread exists. Whenever the server needs a worker
// process later on (start method forkserver; replacements of dead workers
// with start method fork; a processes executor created by live
// reconfiguration) it asks the zygote, which forks one. So no worker is ever
// forked from the multi-threaded server, where a child could inherit a lock
// held by some other thread and deadlock.
//
// Protocol: a SOCK_SEQPACKET socketpair (message boundaries for free). The
// server sends a fork request (ipc kind, payload limit, spin time, database
// path) with the worker's channel descriptors attached (SCM_RIGHTS); the
// zygote forks, closes its copies, and answers with the new worker's pid and
// a pidfd for it. The zygote is the parent of those workers and reaps them
// (SIGCHLD ignored); the server uses the pidfd to wait for their exit.
//
// Lifetimes: the zygote dies with the server (PR_SET_PDEATHSIG), and its
// workers die with the zygote, so a SIGKILLed server leaves no process behind.
#pragma once

#include <sys/types.h>

#include <memory>

#include "core/status.h"
#include "core/thread_annotations.h"
#include "executor/process/unique_fd.h"
#include "executor/process/worker_process.h"

namespace switchyard {

// Thread-safe: ForkWorker may be called from any number of threads at once
// (requests are serialized on the socket). Lifetime: create with Start()
// while the process is still single-threaded, from the thread that will live
// longest (main: the zygote's PR_SET_PDEATHSIG follows that thread); destroy
// after every executor that uses it. Destroying it ends the zygote and with it
// every worker it forked that is still running.
class Zygote {
 public:
  // Forks the zygote. Call while the process is still single-threaded.
  // `models` (may be null): the loaded model repository, inherited by the
  // zygote and shared copy-on-write with every worker it forks for a spec
  // that serves models.
  static Result<std::unique_ptr<Zygote>> Start(std::shared_ptr<const ModelRepository> models = nullptr);

  // Tells the zygote to exit and reaps it.
  ~Zygote();
  Zygote(const Zygote&) = delete;
  Zygote& operator=(const Zygote&) = delete;

  // Forks a worker for `spec`; returns once the zygote reported its pid (the
  // worker may still be starting: WorkerProcess::AwaitHello). Unavailable if
  // the zygote is gone or the fork failed.
  Result<std::unique_ptr<WorkerProcess>> ForkWorker(const WorkerSpec& spec) EXCLUDES(mu_);

  pid_t pid() const { return pid_; }

 private:
  Zygote(pid_t pid, UniqueFd socket) : pid_(pid), socket_(std::move(socket)) {}

  const pid_t pid_;
  Mutex mu_;
  UniqueFd socket_ GUARDED_BY(mu_);
};

}  // namespace switchyard
