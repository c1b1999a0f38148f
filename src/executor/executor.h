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
#include "policy/policy.h"
#include "workload/workload_runner.h"

namespace switchyard {

class EventLoops;
class Zygote;

enum class ExecutorKind { kThreads, kProcesses, kAsync };
enum class StartMethod { kFork, kForkServer, kSpawn };
enum class IpcKind { kShm, kPipe };

std::string_view ExecutorKindName(ExecutorKind kind);
std::string_view StartMethodName(StartMethod method);
std::string_view IpcKindName(IpcKind kind);
Result<ExecutorKind> ParseExecutorKind(std::string_view name);
Result<StartMethod> ParseStartMethod(std::string_view name);
Result<IpcKind> ParseIpcKind(std::string_view name);

struct ExecutorConfig {
  ExecutorKind kind = ExecutorKind::kThreads;
  int workers = 2;                  // threads, processes or event loops
  std::string policy = "fifo";
  PolicyOptions policy_options;     // priority levels, aging
  size_t max_queue = 1024;          // admitted but not started
  // Admission control: refuse (503) while the predicted wait of a newcomer
  // — the queued jobs' predicted service over the workers — exceeds this.
  // 0: off, only max_queue bounds the queue.
  int64_t max_queue_wait_us = 0;
  // processes only
  StartMethod start = StartMethod::kForkServer;
  IpcKind ipc = IpcKind::kShm;
  // Busy-poll before sleeping on the wake-up fd; kAutoSpin picks by core count
  // (see ResolvedIpcSpinUs).
  static constexpr int kAutoSpin = -1;
  int ipc_spin_us = kAutoSpin;
  size_t max_payload_bytes = 1 << 20;  // largest ScoreRequest::data; sizes shm slots
  // async only: `workers` is the number of the server's event loops
  int offload = 0;                  // helper threads for cpu work; 0: run it on the loop
  int max_in_flight = 4096;         // coroutines alive per loop

  std::string Describe() const;     // one line, for logs
  // ipc_spin_us, with kAutoSpin resolved: spinning pays only when every
  // spinner (a worker and its dispatcher thread, per worker) has a core to
  // itself next to the event loop; on a busier machine it steals the CPU the
  // work needs (on 2 cores, 50 µs of spin doubled the low-load latency).
  int ResolvedIpcSpinUs(unsigned cores) const;
  Status Validate() const;
};

struct ExecutorStats {
  std::string kind;
  int workers = 0;
  size_t queued = 0;         // waiting in the scheduling queue
  size_t in_flight = 0;      // started, not finished
  uint64_t completed = 0;
  uint64_t worker_restarts = 0;  // processes replaced after dying
  std::vector<int> worker_pids;  // processes only
};

// Everything an executor needs from its surroundings. The pointed-to objects
// outlive every executor.
struct ExecutorEnv {
  WorkloadConfig workload;
  const Clock* clock = &SteadyClock::Instance();
  Zygote* zygote = nullptr;  // required for processes
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
