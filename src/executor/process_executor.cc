// processes: N worker processes, each fed by one dispatcher thread.
//
// A dispatcher pops a Job from the executor's WorkQueue, sends the request
// over its worker's IPC channel (shm or pipe, executor/process/ipc_channel.h),
// waits for the reply and calls job.on_done exactly once. The worker runs the
// request in its own single-threaded process; sleep blocks that process,
// which is exactly the processes model.
//
// Start methods, as Python names them (executor/process/):
//   fork        the first workers were forked by PreforkWorkers before the
//               server started any thread; this executor adopts them. Every
//               worker needed later (a replacement, or a processes executor
//               made by live reconfiguration) is forked by the zygote instead:
//               forking the multi-threaded server could hand the child a lock
//               some other thread held at that instant, locked forever.
//   forkserver  every worker is forked by the zygote.
//   spawn       every worker is a fresh posix_spawn of the server binary
//               (`__worker`), started by its dispatcher thread: the worker's
//               PR_SET_PDEATHSIG follows the thread that spawned it, and the
//               dispatcher lives exactly as long as its worker.
//
// A worker that dies is noticed by its dispatcher through the channel's
// lifeline (a hangup on a descriptor only the worker held). Its in-flight job
// fails with 503, the worker is replaced, and nothing else is affected; one
// that died while idle is replaced before it is given a job, so its death
// fails no request at all.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <thread>
#include <vector>

#include "core/thread_annotations.h"
#include "executor/executor.h"
#include "executor/process/worker_process.h"
#include "executor/process/zygote.h"
#include "policy/work_queue.h"

namespace switchyard {
namespace {

// A worker opens a database and answers; minutes would mean something is wrong.
constexpr int64_t kHelloTimeoutUs = 30'000'000;
// Tries to start a replacement before a job that needs it fails.
constexpr int kStartAttempts = 3;

// Thread-safe (see Executor). Lifetime: the destructor drains; the Zygote
// must outlive the executor.
class ProcessExecutor final : public Executor {
 public:
  ProcessExecutor(const ExecutorConfig& config, ExecutorEnv& env, std::unique_ptr<Policy> policy)
      : config_(config),
        spec_(MakeWorkerSpec(config, env.workload)),
        zygote_(env.zygote),
        clock_(*env.clock),
        queue_(std::move(policy), config.max_queue, *env.clock) {}

  ~ProcessExecutor() override { Drain(); }

  // Starts one dispatcher per worker and waits until every worker said hello
  // (or one failed: then everything started is stopped again).
  Status Start(std::vector<PreforkedWorker> preforked) {
    std::vector<std::unique_ptr<WorkerProcess>> adopted;
    for (PreforkedWorker& w : preforked) {
      if (static_cast<int>(adopted.size()) < config_.workers && w.spec == spec_) {
        adopted.push_back(std::move(w.process));
      }
    }
    preforked.clear();  // those forked for another configuration are stopped here
    {
      MutexLock lock(mu_);
      pids_.assign(static_cast<size_t>(config_.workers), 0);
    }
    for (int i = 0; i < config_.workers; ++i) {
      std::unique_ptr<WorkerProcess> worker;
      if (static_cast<size_t>(i) < adopted.size()) worker = std::move(adopted[static_cast<size_t>(i)]);
      threads_.emplace_back(&ProcessExecutor::DispatcherMain, this, i, std::move(worker));
    }
    Status result;
    {
      MutexLock lock(mu_);
      started_cv_.wait(lock.native(), [&]() REQUIRES(mu_) { return started_ == config_.workers; });
      result = start_error_;
    }
    if (!result.ok()) Drain();
    return result;
  }

  Admission Submit(Job& job) override { return queue_.TryPush(job); }

  void Drain() override {
    MutexLock lock(drain_mu_);  // a second caller waits until the first is done
    draining_.store(true, std::memory_order_relaxed);
    queue_.Close();
    // Dispatchers finish the queued and running jobs, then stop their workers.
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  ExecutorStats Stats() const override {
    ExecutorStats s;
    s.kind = "processes";
    s.workers = config_.workers;
    s.queued = queue_.size();
    s.in_flight = in_flight_.load(std::memory_order_relaxed);
    s.completed = completed_.load(std::memory_order_relaxed);
    s.worker_restarts = restarts_.load(std::memory_order_relaxed);
    MutexLock lock(mu_);
    for (int pid : pids_) {
      if (pid > 0) s.worker_pids.push_back(pid);
    }
    return s;
  }

  const ExecutorConfig& config() const override { return config_; }

 private:
  void DispatcherMain(int slot, std::unique_ptr<WorkerProcess> worker) {
    // Writes to a dead worker's pipe must fail with EPIPE, not kill the server.
    BlockSigpipeInThisThread();
    Status started = worker ? worker->AwaitHello(kHelloTimeoutUs) : StartWorker(worker);
    if (started.ok()) SetPid(slot, worker->pid());
    {
      MutexLock lock(mu_);
      if (!started.ok() && start_error_.ok()) start_error_ = started;
      ++started_;
    }
    started_cv_.notify_all();
    if (!started.ok()) return;  // `worker` stops here; Start() drains the rest

    while (std::optional<Job> job = queue_.Pop()) RunJob(slot, worker, *job);
    SetPid(slot, 0);
    worker.reset();  // asks it to exit and reaps it
  }

  // A new worker for this dispatcher: launched, and ready.
  Status StartWorker(std::unique_ptr<WorkerProcess>& worker) {
    Result<std::unique_ptr<WorkerProcess>> launched = Launch();
    if (!launched.ok()) return launched.status();
    Status hello = (*launched)->AwaitHello(kHelloTimeoutUs);
    if (!hello.ok()) return hello;  // the half-started worker is stopped here
    worker = std::move(launched).value();
    return Status::Ok();
  }

  Result<std::unique_ptr<WorkerProcess>> Launch() {
    if (config_.start == StartMethod::kSpawn) return SpawnWorker(spec_);
    // forkserver, and fork after startup: never fork the threaded server.
    return zygote_->ForkWorker(spec_);
  }

  // Replaces the worker of `slot`, trying a few times with back-off (not at
  // all while draining, beyond one try). The last error if none could be started.
  Status Replace(int slot, std::unique_ptr<WorkerProcess>& worker) {
    int64_t backoff_ms = 10;
    for (int attempt = 1;; ++attempt) {
      Status s = StartWorker(worker);
      if (s.ok()) {
        SetPid(slot, worker->pid());
        return s;
      }
      spdlog::warn("processes executor: could not start a replacement worker (attempt {}): {}", attempt,
                   s.ToString());
      if (attempt >= kStartAttempts || draining_.load(std::memory_order_relaxed)) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms *= 10;
    }
  }

  // The worker of `slot` died (or broke its protocol): reap it and count it.
  void LoseWorker(int slot, std::unique_ptr<WorkerProcess>& worker) {
    SetPid(slot, 0);
    restarts_.fetch_add(1, std::memory_order_relaxed);
    worker.reset();
  }

  void RunJob(int slot, std::unique_ptr<WorkerProcess>& worker, Job& job) {
    const size_t size = job.request.data.size();
    if (size > config_.max_payload_bytes) {
      Finish(job, InvalidArgument("data is " + std::to_string(size) + " bytes; a worker process accepts at most " +
                                  std::to_string(config_.max_payload_bytes) + " (max_payload_bytes)"));
      return;
    }
    for (int attempt = 1;; ++attempt) {
      if (worker == nullptr) {
        Status replaced = Replace(slot, worker);
        if (!replaced.ok()) {
          Finish(job, Unavailable("no worker process could be started: " + replaced.message()));
          return;
        }
      }
      // A worker that died while idle is replaced before it gets this job.
      if (worker->channel().PeerGone()) {
        LoseWorker(slot, worker);
        if (attempt < kStartAttempts) continue;
        Finish(job, Unavailable("worker processes keep dying before they can run a request"));
        return;
      }
      in_flight_.fetch_add(1, std::memory_order_relaxed);
      Status sent = worker->channel().Send(job.request);
      if (!sent.ok()) {
        // Not delivered (the pipe's reader is gone): the job is still ours.
        in_flight_.fetch_sub(1, std::memory_order_relaxed);
        LoseWorker(slot, worker);
        if (attempt < kStartAttempts) continue;
        Finish(job, Unavailable("worker processes keep dying before they can run a request"));
        return;
      }
      Result<WorkerReply> reply = worker->channel().Receive(kNoDeadline);
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      if (!reply.ok()) {
        const pid_t pid = worker->pid();
        LoseWorker(slot, worker);
        Finish(job, Unavailable("worker process " + std::to_string(pid) + " died while running this request"));
        // Restore the pool now rather than when the next job arrives; if
        // that fails, the next job tries again.
        (void)Replace(slot, worker);
        return;
      }
      ScoreOutcome outcome;
      outcome.status = std::move(reply->status);
      outcome.result_json = std::move(reply->result_json);
      outcome.queue_us = reply->start_us - job.arrival_us;
      outcome.service_us = reply->end_us - reply->start_us;
      completed_.fetch_add(1, std::memory_order_relaxed);
      job.on_done(std::move(outcome));
      return;
    }
  }

  // Completes a job that no worker ran.
  void Finish(Job& job, Status status) {
    ScoreOutcome outcome;
    outcome.status = std::move(status);
    outcome.queue_us = clock_.NowMicros() - job.arrival_us;
    completed_.fetch_add(1, std::memory_order_relaxed);
    job.on_done(std::move(outcome));
  }

  void SetPid(int slot, pid_t pid) {
    MutexLock lock(mu_);
    pids_[static_cast<size_t>(slot)] = pid;
  }

  const ExecutorConfig config_;
  const WorkerSpec spec_;
  Zygote* const zygote_;
  const Clock& clock_;
  WorkQueue queue_;
  std::vector<std::thread> threads_;  // written by Start, joined by Drain (under drain_mu_)
  Mutex drain_mu_;
  std::atomic<bool> draining_{false};
  std::atomic<size_t> in_flight_{0};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> restarts_{0};
  mutable Mutex mu_;
  std::condition_variable started_cv_;
  std::vector<int> pids_ GUARDED_BY(mu_);  // per slot; 0 while it has no worker
  int started_ GUARDED_BY(mu_) = 0;        // dispatchers done starting (ok or not)
  Status start_error_ GUARDED_BY(mu_);
};

}  // namespace

Result<std::unique_ptr<Executor>> CreateProcessExecutor(const ExecutorConfig& config, ExecutorEnv& env) {
  Status valid = config.Validate();
  if (!valid.ok()) return valid;
  if (config.start != StartMethod::kSpawn && env.zygote == nullptr) {
    return InvalidArgument("the processes executor with start method " + std::string(StartMethodName(config.start)) +
                           " needs the zygote (Zygote::Start at startup)");
  }
  auto policy = CreatePolicy(config.policy);
  if (!policy.ok()) return policy.status();
  std::vector<PreforkedWorker> preforked;
  if (config.start == StartMethod::kFork && env.preforked != nullptr) {
    // Consumed by the first processes executor, whatever it adopts of them.
    preforked = std::move(*env.preforked);
    env.preforked->clear();
  }
  auto executor = std::make_unique<ProcessExecutor>(config, env, std::move(policy).value());
  Status started = executor->Start(std::move(preforked));
  if (!started.ok()) return started;
  return std::unique_ptr<Executor>(std::move(executor));
}

}  // namespace switchyard
