// processes: N worker processes, each with one dispatcher thread.
//
// Hand-off. A request goes to an idle worker straight from the thread that
// submits it (the event loop that parsed it): Submit writes it into the
// worker's IPC channel (shm or pipe, executor/process/ipc_channel.h). The
// worker's dispatcher thread is meanwhile blocked in the channel's Receive;
// it gets the reply, calls job.on_done, and then itself sends the next queued
// job, if any, to its worker. Nobody wakes a dispatcher to hand it a job: a
// request costs two cross-process wake-ups plus the one back to the event
// loop, as a request to the threads executor costs two.
//
// Who may touch a worker slot (its SlotState under mu_, unless said otherwise):
//   idle      the dispatcher is in Receive and the slot is in idle_. Submit
//             may take it (removes it from idle_, stores the job, sends);
//             Drain may take it to ask its worker to exit.
//   busy      a job is stored in the slot. The sender (Submit's thread or the
//             dispatcher) holds the slot's send_mu while it sends; the
//             dispatcher takes send_mu before it looks at the outcome, so a
//             reply that arrives before Send has returned waits for it.
//   otherwise the dispatcher alone: starting or replacing its worker.
// The WorkQueue holds jobs while no worker is idle. Submit queues only when
// no slot is idle, and a dispatcher goes idle only when the queue is empty,
// both under mu_, so no job waits in the queue beside an idle worker.
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
// A worker that dies is noticed at once by its dispatcher, busy or idle: its
// Receive returns when the channel's lifeline (a descriptor only the worker
// held) hangs up. The job it was running fails with 503, and the worker is
// replaced. A job that never reached the worker (it was found dead before the
// send) is sent again to the replacement, so a death while idle fails no
// request.
//
// Deadlines while running. A job with stop_at_deadline (core/request.h) whose
// deadline passes while its worker runs it is stopped by the watchdog thread:
// it kills the worker (SIGKILL: the model's code gets no say), the dispatcher
// sees the death as above and answers the job DeadlineExceeded instead of
// Unavailable. Any other job that runs past its deadline is answered when it
// ends.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <condition_variable>
#include <csignal>
#include <optional>
#include <thread>
#include <vector>

#include "core/thread_annotations.h"
#include "executor/config_keys.h"
#include "executor/executor.h"
#include "executor/process/worker_process.h"
#include "executor/process/zygote.h"
#include "executor/queued_executor.h"
#include "executor/work_queue.h"

namespace switchyard {
namespace {

// A worker opens a database and answers; minutes would mean something is wrong.
constexpr int64_t kHelloTimeoutUs = 30'000'000;
// Tries to start a replacement before a job that needs it fails; also how
// often a job is sent again after finding its worker dead before delivery.
constexpr int kStartAttempts = 3;

// One worker process and the dispatcher thread that owns it.
struct Slot {
  explicit Slot(int i) : index(i) {}
  const int index;
  // The worker. Replaced only by the dispatcher, only while the slot is
  // neither idle nor busy; used by a sender while busy (under send_mu).
  std::unique_ptr<WorkerProcess> worker;
  // Serializes the send side of worker->channel() (Send, RequestExit,
  // PeerGone) between Submit's thread, Drain and the dispatcher.
  Mutex send_mu;
};

// The part of a worker slot the executor's mu_ guards (ProcessExecutor::state_,
// by slot index).
struct SlotState {
  bool idle = false;            // in idle_: the dispatcher waits for a reply
  std::optional<Job> job;       // busy: the job handed to this worker
  bool delivered = false;       // the job's request went into the channel
  int send_attempts = 0;        // workers found dead before this job reached one
  bool exit_requested = false;  // Drain asked the worker to leave
  bool stopped_at_deadline = false;  // the watchdog killed the worker over this job
};

// Thread-safe (see Executor). Lifetime: the destructor drains; the Zygote
// must outlive the executor. Submit may write to a worker's pipe on the
// calling thread: the process must ignore SIGPIPE (CreateProcessExecutor
// makes sure it does).
class ProcessExecutor final : public QueuedExecutor {
 public:
  ProcessExecutor(const ExecutorConfig& config, ExecutorEnv& env, std::unique_ptr<Policy> policy)
      : QueuedExecutor("processes", config, env, std::move(policy), config.workers,
                       // A held batch whose delay passed goes to an idle worker.
                       WorkQueue::Hooks{.on_requeue = {}, .on_expired = {}, .on_batched = {},
                                        .on_batch_due = [this] { DispatchToIdle(); }}),
        spec_(MakeWorkerSpec(config, env.workload)),
        zygote_(env.zygote) {
    // A batch crosses one worker's channel at once.
    queue_.SetBatchBytesLimit(config.max_payload_bytes);
  }

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
      state_.assign(static_cast<size_t>(config_.workers), SlotState{});
    }
    for (int i = 0; i < config_.workers; ++i) slots_.push_back(std::make_unique<Slot>(i));
    watchdog_ = std::thread(&ProcessExecutor::WatchdogMain, this);
    for (int i = 0; i < config_.workers; ++i) {
      std::unique_ptr<WorkerProcess> worker;
      if (static_cast<size_t>(i) < adopted.size()) worker = std::move(adopted[static_cast<size_t>(i)]);
      threads_.emplace_back(&ProcessExecutor::DispatcherMain, this, slots_[static_cast<size_t>(i)].get(),
                            std::move(worker));
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

  Admission Submit(Job& job) override {
    const size_t size = job.request.data.size();
    if (size > config_.max_payload_bytes) {
      {
        MutexLock lock(mu_);
        if (draining_) return Admission::kClosed;
      }
      Finish(job,
             InvalidArgument("data is " + std::to_string(size) + " bytes; a worker process accepts at most " +
                             std::to_string(config_.max_payload_bytes) + " (max_payload_bytes)"));
      return Admission::kOk;
    }
    Slot* slot = nullptr;
    const bool batchable = !job.batch_key.empty();
    {
      MutexLock lock(mu_);
      if (draining_) return Admission::kClosed;
      if (idle_.empty() || queue_.size() > 0 || batchable) {
        Admission admitted = queue_.TryPush(job);
        // A dispatcher that could not start a worker waits for a job to try again.
        if (admitted == Admission::kOk && workerless_ > 0) jobs_cv_.notify_all();
        // A batchable job waits in the queue for its batch (which may be
        // ready at once) even when a worker is idle.
        if (admitted == Admission::kOk && batchable && !idle_.empty()) {
          lock.Unlock();
          DispatchToIdle();
        }
        return admitted;
      }
      // The most recently idle worker: its caches are the warmest.
      slot = idle_.back();
      idle_.pop_back();
      StateOf(*slot).idle = false;
      AssignLocked(*slot, std::move(job));
    }
    SendAssigned(*slot);
    return Admission::kOk;
  }

  void Drain() override {
    MutexLock drain_lock(drain_mu_);  // a second caller waits until the first is done
    std::vector<Slot*> idle;
    {
      MutexLock lock(mu_);
      draining_ = true;
      queue_.Close();
      idle.swap(idle_);
      for (Slot* s : idle) {
        StateOf(*s).idle = false;
        StateOf(*s).exit_requested = true;
      }
    }
    jobs_cv_.notify_all();
    // Idle workers leave now; their dispatchers see the hangup and stop. Busy
    // ones finish their job and what is queued first.
    for (Slot* s : idle) {
      MutexLock send(s->send_mu);
      s->worker->channel().RequestExit();
    }
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    {
      MutexLock lock(mu_);
      watchdog_stop_ = true;
    }
    watchdog_cv_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
  }

  ExecutorStats Stats() const override {
    ExecutorStats s = QueuedExecutor::Stats();
    s.worker_restarts = restarts_.load(std::memory_order_relaxed);
    MutexLock lock(mu_);
    for (int pid : pids_) {
      if (pid > 0) s.worker_pids.push_back(pid);
    }
    return s;
  }

 private:
  size_t InFlight() const override { return in_flight_.load(std::memory_order_relaxed); }

  // What a dispatcher does next, decided under mu_.
  enum class Next { kSend, kWait, kStartWorker, kExit };

  void DispatcherMain(Slot* slot, std::unique_ptr<WorkerProcess> worker) {
    Slot& s = *slot;
    // Writes to a dead worker's pipe must fail with EPIPE, not kill the server.
    BlockSigpipeInThisThread();
    Status started = worker ? worker->AwaitHello(kHelloTimeoutUs) : StartWorker(worker);
    if (started.ok()) {
      s.worker = std::move(worker);
      SetPid(s, s.worker->pid());
    }
    {
      MutexLock lock(mu_);
      if (!started.ok() && start_error_.ok()) start_error_ = started;
      ++started_;
    }
    started_cv_.notify_all();
    if (!started.ok()) return;  // Start() drains the rest

    for (;;) {
      switch (DecideNext(s)) {
        case Next::kExit:
          SetPid(s, 0);
          s.worker.reset();  // asks it to exit and reaps it
          return;
        case Next::kStartWorker:
          EnsureWorker(s);
          continue;
        case Next::kSend:
          SendAssigned(s);
          break;
        case Next::kWait:
          break;
      }
      // Busy: the reply to our job. Idle: a reply to a job Submit sends, or
      // the worker's death.
      Result<WorkerReply> reply = s.worker->channel().Receive(kNoDeadline);
      HandleReply(s, std::move(reply));
    }
  }

  // The slot's next step. With a worker: send the job it holds
  // (one not delivered before) or the next queued one, else go idle, or exit
  // once draining with nothing left. Without one: start one, unless there is
  // nothing it would ever run.
  Next DecideNext(Slot& s) {
    MutexLock lock(mu_);
    const bool has_work = StateOf(s).job.has_value() || queue_.size() > 0;
    if (s.worker == nullptr) return has_work || !draining_ ? Next::kStartWorker : Next::kExit;
    if (StateOf(s).job) return Next::kSend;
    if (std::optional<Job> job = queue_.TryPop()) {
      AssignLocked(s, std::move(*job));
      return Next::kSend;
    }
    if (draining_) return Next::kExit;
    StateOf(s).idle = true;
    idle_.push_back(&s);
    return Next::kWait;
  }

  SlotState& StateOf(const Slot& s) REQUIRES(mu_) { return state_[static_cast<size_t>(s.index)]; }

  // Hands what the queue has ready to idle workers.
  void DispatchToIdle() EXCLUDES(mu_) {
    while (true) {
      Slot* slot = nullptr;
      {
        MutexLock lock(mu_);
        if (idle_.empty() || draining_) return;
        std::optional<Job> job = queue_.TryPop();
        if (!job) return;
        slot = idle_.back();
        idle_.pop_back();
        StateOf(*slot).idle = false;
        AssignLocked(*slot, std::move(*job));
      }
      SendAssigned(*slot);
    }
  }

  // Makes `s` busy with `job`.
  void AssignLocked(Slot& s, Job job) REQUIRES(mu_) {
    StateOf(s).job = std::move(job);
    StateOf(s).delivered = false;
    StateOf(s).send_attempts = 0;
    in_flight_.fetch_add(1, std::memory_order_relaxed);
  }

  // Sends the job `s` holds to its worker: from Submit's thread or from the
  // dispatcher. A worker found dead is left to the dispatcher, whose Receive
  // returns at once (the lifeline hung up) and sends the job again.
  void SendAssigned(Slot& s) {
    MutexLock send(s.send_mu);
    ParentChannel& channel = s.worker->channel();
    const ScoreRequest* request;
    {
      MutexLock lock(mu_);
      request = &StateOf(s).job->request;  // stays put: the dispatcher takes send_mu before moving it
    }
    // A worker that died while idle must not be handed the job: that death
    // would fail it.
    bool delivered = !channel.PeerGone() && channel.Send(*request).ok();
    MutexLock lock(mu_);
    StateOf(s).delivered = delivered;
    if (delivered && StateOf(s).job->stop_at_deadline) watchdog_cv_.notify_all();
  }

  // The watchdog: kills the worker of every slot whose delivered
  // stop_at_deadline job is past its deadline, and sleeps until the next such
  // deadline. Killing under mu_ is safe: a worker is reaped only after
  // LoseWorker has zeroed its pid under mu_.
  void WatchdogMain() {
    MutexLock lock(mu_);
    while (!watchdog_stop_) {
      const int64_t now = clock_.NowMicros();
      int64_t next = std::numeric_limits<int64_t>::max();
      for (size_t i = 0; i < state_.size(); ++i) {
        SlotState& st = state_[i];
        if (!st.job || !st.delivered || st.stopped_at_deadline || !st.job->stop_at_deadline ||
            st.job->deadline_us <= 0 || pids_[i] <= 0) {
          continue;
        }
        if (st.job->deadline_us > now) {
          next = std::min(next, st.job->deadline_us);
          continue;
        }
        st.stopped_at_deadline = true;
        spdlog::warn("processes executor: stopping worker process {}: a request's deadline passed while it ran",
                     pids_[i]);
        ::kill(pids_[i], SIGKILL);
      }
      if (next == std::numeric_limits<int64_t>::max()) {
        watchdog_cv_.wait(lock.native());
      } else {
        watchdog_cv_.wait_for(lock.native(), std::chrono::microseconds(next - now));
      }
    }
  }

  void HandleReply(Slot& s, Result<WorkerReply> reply) {
    std::optional<Job> job;
    bool delivered;
    bool exit_requested;
    bool stopped_at_deadline;
    {
      MutexLock send(s.send_mu);  // a sender may still be inside Send
      MutexLock lock(mu_);
      if (StateOf(s).idle) {
        // Died while idle: nobody may hand it a job any more.
        idle_.erase(std::find(idle_.begin(), idle_.end(), &s));
        StateOf(s).idle = false;
      }
      delivered = StateOf(s).delivered;
      exit_requested = StateOf(s).exit_requested;
      stopped_at_deadline = StateOf(s).stopped_at_deadline;
      StateOf(s).stopped_at_deadline = false;
      if (reply.ok() || delivered) {
        job = std::move(StateOf(s).job);
        StateOf(s).job.reset();
        if (job) in_flight_.fetch_sub(1, std::memory_order_relaxed);
      }
      // Otherwise a job that never reached the worker stays in the slot, to
      // be sent again to the replacement.
    }
    if (reply.ok()) {
      if (!job) {
        // A reply to nothing: the protocol is broken; start afresh.
        spdlog::error("processes executor: worker process {} replied without a request", s.worker->pid());
        LoseWorker(s, /*count=*/true);
        return;
      }
      ScoreOutcome outcome;
      outcome.status = std::move(reply->status);
      outcome.result = std::move(reply->result);
      outcome.queue_us = reply->start_us - job->arrival_us;
      outcome.service_us = reply->end_us - reply->start_us;
      outcome.gil_wait_us = reply->gil_wait_us;
      outcome.gil_hold_us = reply->gil_hold_us;
      CountCompleted();
      job->on_done(std::move(outcome));
      // The reply beat the watchdog's kill: the worker is dying all the same.
      if (stopped_at_deadline) LoseWorker(s, /*count=*/true);
      return;
    }
    const pid_t pid = s.worker->pid();
    LoseWorker(s, /*count=*/!exit_requested);
    if (job && stopped_at_deadline) {
      Finish(*job, DeadlineExceeded("the request's deadline (parameters.timeout) passed while the model ran: "
                                    "its worker process " + std::to_string(pid) + " was stopped and replaced"));
      return;
    }
    if (job) {
      Finish(*job, Unavailable("worker process " + std::to_string(pid) + " died while running this request"));
      return;
    }
    std::optional<Job> undeliverable;
    {
      MutexLock lock(mu_);
      if (StateOf(s).job && ++StateOf(s).send_attempts >= kStartAttempts) {
        undeliverable = std::move(StateOf(s).job);
        StateOf(s).job.reset();
        in_flight_.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    if (undeliverable)
      Finish(*undeliverable, Unavailable("worker processes keep dying before they can run a request"));
  }

  // Gives `s` a worker. If none can be started, waits until a job needs one,
  // tries again, and if that fails too, fails the job (the slot's own or the
  // next queued one) so that no request waits for a worker that will not
  // come. Returns without a worker only when draining left nothing to run.
  void EnsureWorker(Slot& s) {
    Status started = Replace(s);
    while (!started.ok()) {
      {
        MutexLock lock(mu_);
        ++workerless_;
        jobs_cv_.wait(lock.native(), [&]() REQUIRES(mu_) {
          return StateOf(s).job.has_value() || queue_.size() > 0 || draining_;
        });
        --workerless_;
        if (!StateOf(s).job && queue_.size() == 0) return;  // draining, nothing to run
      }
      started = Replace(s);
      if (started.ok()) return;
      std::optional<Job> job;
      {
        MutexLock lock(mu_);
        if (StateOf(s).job) {
          job = std::move(StateOf(s).job);
          StateOf(s).job.reset();
          in_flight_.fetch_sub(1, std::memory_order_relaxed);
        } else {
          job = queue_.TryPop();
        }
      }
      if (job) Finish(*job, Unavailable("no worker process could be started: " + started.message()));
    }
  }

  // A new worker for `s`: launched, and ready.
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

  // Starts a worker for `s`, trying a few times with back-off (only once
  // while draining). The last error if none could be started.
  Status Replace(Slot& s) {
    int64_t backoff_ms = 10;
    for (int attempt = 1;; ++attempt) {
      std::unique_ptr<WorkerProcess> worker;
      Status started = StartWorker(worker);
      if (started.ok()) {
        s.worker = std::move(worker);
        SetPid(s, s.worker->pid());
        return started;
      }
      spdlog::warn("processes executor: could not start a replacement worker (attempt {}): {}", attempt,
                   started.ToString());
      bool draining;
      {
        MutexLock lock(mu_);
        draining = draining_;
      }
      if (attempt >= kStartAttempts || draining) return started;
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms *= 10;
    }
  }

  // The worker of `s` is gone (or broke its protocol): reap it, and count it
  // unless Drain asked it to leave.
  void LoseWorker(Slot& s, bool count) {
    SetPid(s, 0);
    if (count) restarts_.fetch_add(1, std::memory_order_relaxed);
    s.worker.reset();
  }

  // Completes a job that no worker ran.
  void Finish(Job& job, Status status) {
    ScoreOutcome outcome;
    outcome.status = std::move(status);
    outcome.queue_us = clock_.NowMicros() - job.arrival_us;
    CountCompleted();
    job.on_done(std::move(outcome));
  }

  void SetPid(const Slot& s, pid_t pid) {
    MutexLock lock(mu_);
    pids_[static_cast<size_t>(s.index)] = pid;
  }

  // queue_ (QueuedExecutor's) has its own lock; it is pushed and popped
  // under mu_ (see the top of the file).
  const WorkerSpec spec_;
  Zygote* const zygote_;
  std::vector<std::unique_ptr<Slot>> slots_;  // written by Start before any dispatcher runs
  std::vector<std::thread> threads_;          // written by Start, joined by Drain (under drain_mu_)
  Mutex drain_mu_;
  std::atomic<size_t> in_flight_{0};
  std::atomic<uint64_t> restarts_{0};
  mutable Mutex mu_;
  std::condition_variable started_cv_;
  std::condition_variable jobs_cv_;  // queued work or draining, for workerless dispatchers
  std::condition_variable watchdog_cv_;  // a deadline to watch, or stopping
  std::thread watchdog_;                 // started by Start, joined by Drain
  bool watchdog_stop_ GUARDED_BY(mu_) = false;
  std::vector<Slot*> idle_ GUARDED_BY(mu_);
  bool draining_ GUARDED_BY(mu_) = false;
  int workerless_ GUARDED_BY(mu_) = 0;            // dispatchers waiting in EnsureWorker
  std::vector<int> pids_ GUARDED_BY(mu_);         // per slot; 0 while it has no worker
  std::vector<SlotState> state_ GUARDED_BY(mu_);  // per slot
  int started_ GUARDED_BY(mu_) = 0;               // dispatchers done starting (ok or not)
  Status start_error_ GUARDED_BY(mu_);
};

}  // namespace

Result<std::unique_ptr<Executor>> CreateProcessExecutor(const ExecutorConfig& config, ExecutorEnv& env) {
  Status valid = ValidateExecutorConfig(config);
  if (!valid.ok()) return valid;
  if (config.start != StartMethod::kSpawn && env.zygote == nullptr) {
    return InvalidArgument("the processes executor with start method " +
                           std::string(StartMethodName(config.start)) +
                           " needs the zygote (Zygote::Start at startup)");
  }
  std::vector<PreforkedWorker> preforked;
  if (config.start == StartMethod::kFork && env.preforked != nullptr) {
    // Consumed by the first processes executor, whatever it adopts of them.
    preforked = std::move(*env.preforked);
    env.preforked->clear();
  }
  // Submit may write to a dead worker's pipe on the caller's thread: that
  // must be an EPIPE error, not a signal that kills the server.
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    std::signal(SIGPIPE, SIG_IGN);
  }
  return StartExecutor<ProcessExecutor>(config, env, std::move(preforked));
}

}  // namespace switchyard
