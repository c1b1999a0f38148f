// Executor: where admitted jobs run — worker threads, worker processes or
// coroutines on an event loop. One interface, three implementations:
// thread_executor.cc, process_executor.cc, async_executor.cc.
//
// Each executor owns its scheduling queue (a WorkQueue ordered by the
// configured policy). Live reconfiguration builds a new executor, sends new
// jobs to it, and drains the old one: a job belongs to exactly one executor
// from admission to completion, so none is dropped or run twice.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/request.h"
#include "core/status.h"
#include "executor/executor_config.h"
#include "workload/workload_runner.h"

namespace switchyard {

class EventLoops;
class Zygote;

struct ExecutorStats {
  std::string kind;
  int workers = 0;
  size_t queued = 0;     // waiting in the scheduling queue
  size_t in_flight = 0;  // started, not finished
  uint64_t completed = 0;
  uint64_t worker_restarts = 0;  // processes replaced after dying
  std::vector<int> worker_pids;  // processes only
};

// Everything an executor needs from its surroundings. The pointed-to objects
// outlive every executor.
struct ExecutorEnv {
  WorkloadConfig workload;
  const Clock* clock = &SteadyClock::Instance();
  Zygote* zygote = nullptr;     // required for processes
  EventLoops* loops = nullptr;  // required for async: the loops its coroutines run on
  // Process workers already forked before the server started any thread
  // (start method fork); consumed by the first process executor.
  std::vector<struct PreforkedWorker>* preforked = nullptr;
};

// Thread-safe: Submit and Stats may be called from any thread, concurrently.
// Lifetime: call Drain() before destroying; the destructor drains if needed.
class Executor {
 public:
  virtual ~Executor() = default;

  // Admits `job`. kOk: the executor owns it and calls job.on_done exactly once.
  // kFull (queue at its bound) or kClosed (draining): the caller still owns it.
  virtual Admission Submit(Job& job) = 0;

  // Stops admitting, finishes every queued and running job, stops the workers.
  // Blocks until done. Idempotent.
  virtual void Drain() = 0;

  // Stops admitting (Submit answers kClosed, as when draining) and hands
  // back every job not yet started: the caller owns them and submits them
  // elsewhere; the executor never calls their on_done. Jobs running finish
  // here; call Drain() after it as before. Idempotent (later calls return
  // nothing).
  virtual std::vector<Job> Withdraw() = 0;

  virtual ExecutorStats Stats() const = 0;
  // Jobs waiting in the scheduling queue (cheaper than Stats()).
  virtual size_t queued() const = 0;
  // The queued jobs' predicted service over the workers (admission control).
  virtual int64_t PredictedWaitUs() const = 0;
  virtual const ExecutorConfig& config() const = 0;
};

// Builds an executor and starts its workers; returns once all are ready.
// Unavailable/InvalidArgument when they cannot be started (nothing is left
// running in that case).
Result<std::unique_ptr<Executor>> CreateExecutor(const ExecutorConfig& config, ExecutorEnv& env);

Result<std::unique_ptr<Executor>> CreateThreadExecutor(const ExecutorConfig& config, ExecutorEnv& env);
Result<std::unique_ptr<Executor>> CreateAsyncExecutor(const ExecutorConfig& config, ExecutorEnv& env);
Result<std::unique_ptr<Executor>> CreateProcessExecutor(const ExecutorConfig& config, ExecutorEnv& env);

}  // namespace switchyard
