#include "executor/process/worker_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string_view>
#include <thread>

#include "core/clock.h"
#include "core/malloc_tuning.h"
#include "core/thread_annotations.h"

extern char** environ;

namespace switchyard {
namespace {

// A worker told to exit is idle and leaves at once; this only bounds a stuck one.
constexpr int64_t kStopGraceUs = 3'000'000;

// The binary spawn execs: this one, unless a test names another.
Mutex g_exe_mu;
std::string g_exe_path GUARDED_BY(g_exe_mu) = "/proc/self/exe";

template <typename T>
bool ParseNumber(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

WorkerSpec MakeWorkerSpec(const ExecutorConfig& config, const WorkloadConfig& workload) {
  WorkerSpec spec;
  spec.ipc = config.ipc;
  spec.channel.max_payload_bytes = config.max_payload_bytes;
  // kAutoSpin is resolved here too, so an executor made from a default config
  // (tests, live reconfiguration) spins exactly as `serve` would.
  spec.channel.spin_us = config.ResolvedIpcSpinUs(std::thread::hardware_concurrency());
  spec.workload = workload;
  return spec;
}

// ---------------------------------------------------------------------------
// WorkerProcess

WorkerProcess::WorkerProcess(pid_t pid, UniqueFd pidfd, bool is_child, std::unique_ptr<ParentChannel> channel)
    : pid_(pid), pidfd_(std::move(pidfd)), is_child_(is_child), channel_(std::move(channel)) {}

WorkerProcess::~WorkerProcess() { Stop(); }

Status WorkerProcess::AwaitHello(int64_t timeout_us) {
  auto hello = channel_->Receive(SteadyClock::Now() + timeout_us);
  std::string who = "worker process " + std::to_string(pid_);
  if (!hello.ok()) {
    if (hello.status().code() == StatusCode::kDeadlineExceeded) {
      return Unavailable(who + " did not report ready within " + std::to_string(timeout_us / 1000000) + " s");
    }
    return Unavailable(who + " exited before it was ready (" + hello.status().message() + ")");
  }
  if (!hello->status.ok()) {
    return Status(hello->status.code(), who + " could not start: " + hello->status.message());
  }
  return Status::Ok();
}

void WorkerProcess::Stop() {
  if (stopped_) return;
  stopped_ = true;
  channel_->RequestExit();
  // Closing our end is the second exit signal (the worker sees a hangup) and
  // unmaps the shared region on our side.
  channel_.reset();
  WaitForProcessExit(pid_, pidfd_, is_child_, kStopGraceUs);
  pidfd_.Reset();
}

// ---------------------------------------------------------------------------
// The worker side

int RunWorker(WorkerChannel& channel, const WorkloadConfig& workload) {
  // This process's own LibTorch pool (created lazily, after the fork).
  if (workload.models) workload.models->SetIntraOpThreads(workload.intra_op_threads);
  auto runner = WorkloadRunner::Create(workload);
  WorkerReply reply;
  if (!runner.ok()) {
    reply.status = runner.status();
    (void)channel.Send(reply);
    return 1;
  }
  if (!channel.Send(reply).ok()) return 1;  // the hello
  ScoreRequest request;
  while (channel.Receive(request)) {
    reply.start_us = SteadyClock::Now();
    ScoreOutcome outcome = (*runner)->Run(request);
    reply.end_us = SteadyClock::Now();
    reply.status = std::move(outcome.status);
    reply.result = std::move(outcome.result);
    reply.gil_wait_us = outcome.gil_wait_us;
    reply.gil_hold_us = outcome.gil_hold_us;
    if (!channel.Send(reply).ok()) return 1;
  }
  return 0;
}

void ForkedWorkerMain(pid_t parent, const WorkerSpec& spec, std::vector<UniqueFd> fds) {
  if (!BecomeChildOf(parent)) ::_exit(1);
  ::prctl(PR_SET_NAME, "switchyard-wkr");
  std::vector<int> keep;
  for (const UniqueFd& fd : fds) keep.push_back(fd.get());
  // Drop everything else we inherited: other workers' channel ends (which
  // would hide their deaths), the zygote socket, the server's listeners.
  CloseAllFdsExcept(keep);
  auto channel = OpenWorkerChannel(spec.ipc, std::move(fds), spec.channel);
  if (!channel.ok()) ::_exit(1);
  int code = RunWorker(**channel, spec.workload);
  // _exit: the parent's atexit handlers and stdio buffers are not ours to run.
  ::_exit(code);
}

// ---------------------------------------------------------------------------
// fork

Result<std::vector<PreforkedWorker>> PreforkWorkers(int n, const ExecutorConfig& config,
                                                    const WorkloadConfig& workload) {
  if (n < 1 || n > 1024)
    return InvalidArgument("workers must be between 1 and 1024, got " + std::to_string(n));
  Status alone = RequireSingleThreaded("start method fork");
  if (!alone.ok()) return alone;
  const WorkerSpec spec = MakeWorkerSpec(config, workload);
  const pid_t self = ::getpid();
  std::vector<PreforkedWorker> workers;
  for (int i = 0; i < n; ++i) {
    auto ends = CreateChannel(spec.ipc, spec.channel);
    if (!ends.ok()) return ends.status();  // `workers` stops the ones already forked
    pid_t pid = ::fork();
    if (pid < 0) return Unavailable(ErrnoMessage("fork of a worker process", errno));
    if (pid == 0) ForkedWorkerMain(self, spec, std::move(ends->worker_fds));
    ends->worker_fds.clear();  // the worker's copies are now the only ones
    workers.push_back({spec, std::make_unique<WorkerProcess>(pid, OpenPidfd(pid), /*is_child=*/true,
                                                             std::move(ends->parent))});
  }
  return workers;
}

// ---------------------------------------------------------------------------
// spawn

void SetWorkerExecutable(std::string path) {
  MutexLock lock(g_exe_mu);
  g_exe_path = std::move(path);
}

std::string WorkerExecutable() {
  MutexLock lock(g_exe_mu);
  return g_exe_path;
}

Result<std::unique_ptr<WorkerProcess>> SpawnWorker(const WorkerSpec& spec) {
  auto ends = CreateChannel(spec.ipc, spec.channel);
  if (!ends.ok()) return ends.status();
  std::string fd_list;
  for (const UniqueFd& fd : ends->worker_fds) {
    if (!fd_list.empty()) fd_list += ',';
    fd_list += std::to_string(fd.get());
  }
  const std::string exe = WorkerExecutable();
  std::vector<std::string> args = {"__worker",
                                   "--ipc",
                                   std::string(IpcKindName(spec.ipc)),
                                   "--fds",
                                   fd_list,
                                   "--max-payload",
                                   std::to_string(spec.channel.max_payload_bytes),
                                   "--spin-us",
                                   std::to_string(spec.channel.spin_us),
                                   "--parent",
                                   std::to_string(::getpid()),
                                   "--db",
                                   spec.workload.db_path,
                                   "--models",
                                   spec.workload.models_dir,
                                   "--intra-op-threads",
                                   std::to_string(spec.workload.intra_op_threads)};
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 of a descriptor onto itself clears its close-on-exec flag in the
  // child only (POSIX, glibc >= 2.29): exactly these survive the exec.
  for (const UniqueFd& fd : ends->worker_fds) posix_spawn_file_actions_adddup2(&actions, fd.get(), fd.get());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);  // dispatcher threads block SIGPIPE
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return Unavailable(ErrnoMessage("spawn of worker " + exe, err));
  ends->worker_fds.clear();
  return std::make_unique<WorkerProcess>(pid, OpenPidfd(pid), /*is_child=*/true, std::move(ends->parent));
}

int SpawnedWorkerMain(int argc, char** argv) {
  (void)TuneMallocForServing();  // as the server's (core/malloc_tuning.h): exec started afresh
  WorkerSpec spec;
  std::vector<int> fd_numbers;
  pid_t parent = -1;
  bool have_ipc = false;
  auto usage = [](std::string_view why) {
    std::fprintf(stderr, "switchyard __worker: %.*s (this subcommand is started by the server)\n",
                 static_cast<int>(why.size()), why.data());
    return 2;
  };
  for (int i = 1; i < argc; i += 2) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) return usage("missing value for " + std::string(flag));
    std::string_view value = argv[i + 1];
    if (flag == "--ipc") {
      auto kind = ParseIpcKind(value);
      if (!kind.ok()) return usage(kind.status().message());
      spec.ipc = *kind;
      have_ipc = true;
    } else if (flag == "--fds") {
      while (!value.empty()) {
        size_t comma = value.find(',');
        int fd = -1;
        if (!ParseNumber(value.substr(0, comma), fd) || fd < 3) return usage("bad --fds");
        fd_numbers.push_back(fd);
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      }
    } else if (flag == "--max-payload") {
      if (!ParseNumber(value, spec.channel.max_payload_bytes)) return usage("bad --max-payload");
    } else if (flag == "--spin-us") {
      if (!ParseNumber(value, spec.channel.spin_us)) return usage("bad --spin-us");
    } else if (flag == "--parent") {
      if (!ParseNumber(value, parent)) return usage("bad --parent");
    } else if (flag == "--db") {
      spec.workload.db_path = std::string(value);
    } else if (flag == "--models") {
      spec.workload.models_dir = std::string(value);
    } else if (flag == "--intra-op-threads") {
      if (!ParseNumber(value, spec.workload.intra_op_threads)) return usage("bad --intra-op-threads");
    } else {
      return usage("unknown flag " + std::string(flag));
    }
  }
  if (!have_ipc || parent <= 0 || fd_numbers.size() != WorkerFdCount(spec.ipc)) {
    return usage("needs --ipc, --parent and the channel's --fds");
  }
  if (!BecomeChildOf(parent)) return 1;
  ::prctl(PR_SET_NAME, "switchyard-wkr");  // else ps shows "exe" (/proc/self/exe)
  CloseAllFdsExcept(fd_numbers);
  std::vector<UniqueFd> fds;
  for (int fd : fd_numbers) fds.emplace_back(fd);
  auto channel = OpenWorkerChannel(spec.ipc, std::move(fds), spec.channel);
  if (!channel.ok()) {
    std::fprintf(stderr, "switchyard __worker: %s\n", channel.status().ToString().c_str());
    return 1;
  }
  if (!spec.workload.models_dir.empty()) {
    // A fresh exec shares nothing: this worker loads its own copy of every
    // model (the duplication fork and forkserver avoid).
    auto models = ModelRepository::Load(spec.workload.models_dir);
    if (models.ok()) spec.workload.models = std::move(models).value();
  }
  return RunWorker(**channel, spec.workload);
}

}  // namespace switchyard
