// Worker processes of the `processes` executor: what one is, how the server
// starts one (pre-forked at startup, or spawned as a fresh exec), and the
// loop it runs once started. The third start method, forking through the
// zygote, is in zygote.h.
//
// Every worker is a single-threaded process that opens its own WorkloadRunner
// (an SQLite connection must not cross fork()), greets the server with a
// hello over its IPC channel (ok, or the error that kept it from starting),
// then serves one request at a time until told to exit. It never outlives the
// server: it asks for SIGKILL when its parent dies (PR_SET_PDEATHSIG) and
// exits at once if the parent is already gone.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "executor/executor.h"
#include "executor/process/ipc_channel.h"
#include "executor/process/unique_fd.h"
#include "workload/workload_runner.h"

namespace switchyard {

// What a worker is started with. The zygote receives it per fork request and
// a spawned worker on its command line, because live reconfiguration may
// change the IPC kind or payload limit between executors.
struct WorkerSpec {
  IpcKind ipc = IpcKind::kShm;
  ChannelOptions channel;
  WorkloadConfig workload;

  bool operator==(const WorkerSpec& other) const {
    return ipc == other.ipc && channel.max_payload_bytes == other.channel.max_payload_bytes &&
           channel.spin_us == other.channel.spin_us && workload.db_path == other.workload.db_path &&
           workload.models_dir == other.workload.models_dir &&
           workload.intra_op_threads == other.workload.intra_op_threads;
  }
};

WorkerSpec MakeWorkerSpec(const ExecutorConfig& config, const WorkloadConfig& workload);

// A running worker process and the server's end of its channel.
// Externally synchronized: owned and used by one dispatcher thread at a time
// (PreforkWorkers' caller hands it over to an executor).
// Lifetime: the destructor stops the worker (Stop()), so a WorkerProcess never
// leaves a process behind.
class WorkerProcess {
 public:
  // `is_child`: we forked or spawned it, so we reap it; otherwise (a zygote's
  // child) `pidfd` tells when it is gone. `pidfd` may be invalid.
  WorkerProcess(pid_t pid, UniqueFd pidfd, bool is_child, std::unique_ptr<ParentChannel> channel);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool is_child() const { return is_child_; }
  ParentChannel& channel() { return *channel_; }

  // Waits up to `timeout_us` for the hello. Ok, or the worker's own startup
  // error (for example the database it could not open), or Unavailable when
  // it died or DeadlineExceeded when it stayed silent.
  Status AwaitHello(int64_t timeout_us);

  // Asks the worker to exit, closes our end of the channel and waits until
  // the process is gone (reaped, when it is our child), sending SIGKILL after
  // a grace period. Idempotent; quick for a worker that already died.
  void Stop();

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  bool is_child_;
  bool stopped_ = false;
  std::unique_ptr<ParentChannel> channel_;
};

// A worker forked by PreforkWorkers before the server started any thread,
// with the spec it was forked for (an executor adopts it only if its own
// spec is the same).
struct PreforkedWorker {
  WorkerSpec spec;
  std::unique_ptr<WorkerProcess> process;
};

// Start method fork: forks `n` workers from the calling process, which must
// still be single-threaded (after fork only the forking thread exists in the
// child; a lock some other thread held would stay locked forever), and whose
// calling thread must live as long as the workers (PR_SET_PDEATHSIG follows
// the forking *thread*): call it from main() at the start of `serve`.
// Workers needed later are forked by the zygote instead, never by the then
// multi-threaded server.
Result<std::vector<PreforkedWorker>> PreforkWorkers(int n, const ExecutorConfig& config,
                                                    const WorkloadConfig& workload);

// Start method spawn: posix_spawn of WorkerExecutable() with `__worker <args>`
// and only the channel's descriptors inherited. Safe from a multi-threaded
// process. The calling thread must outlive the worker (PR_SET_PDEATHSIG).
Result<std::unique_ptr<WorkerProcess>> SpawnWorker(const WorkerSpec& spec);

// The binary that SpawnWorker executes; "/proc/self/exe" unless set (tests set
// the real switchyard binary, since the test binary has no `__worker`).
// Thread-safe.
void SetWorkerExecutable(std::string path);
std::string WorkerExecutable();

// Entry point of `switchyard __worker ...` (argv[0] is "__worker"): parses the
// descriptor numbers, ipc kind, database path, payload limit, spin time and
// expected parent pid that SpawnWorker put on the command line, then runs the
// worker. Returns the process exit code (0: told to exit; 1: could not start
// or lost the server; 2: bad arguments).
int SpawnedWorkerMain(int argc, char** argv);

// In a child just forked (by PreforkWorkers or the zygote) from a
// single-threaded `parent`: becomes a worker on `fds` and never returns.
[[noreturn]] void ForkedWorkerMain(pid_t parent, const WorkerSpec& spec, std::vector<UniqueFd> fds);

// The worker's life once its channel is open: creates the WorkloadRunner,
// sends the hello, serves requests until told to exit or the server is gone.
// Returns the exit code.
int RunWorker(WorkerChannel& channel, const WorkloadConfig& workload);

}  // namespace switchyard
