// ExecutorModel: an executor (threads, processes, async) in virtual time, on
// a SimMachine's cores — what `switchyard simulate-controller` runs the
// candidates as.
//
//   threads/N    N workers take jobs from the policy queue (CreatePolicy, as
//                the server's WorkQueue). A CPU job's worker time-shares the
//                cores with every other running CPU job (SimMachine); a
//                sleep or io job holds its worker for its duration and no
//                core. mlfq's slices are honoured as in `simulate`.
//   processes/N  the same, and every request pays `ipc_us` more (the IPC
//                round trip, docs/benchmarks.md: ~14 µs at p50 over threads
//                on shm, ~47 µs for a bare round trip): CPU work added to a
//                CPU job, time added to a wait.
//   async        L event loops (the server's --io-threads). As in the server,
//                the policy queue hands every admitted job to a loop at once
//                (the policy only validates: it never holds work). A job
//                runs on the loop of its connection (connection % L). A sleep
//                suspends: unlimited waits, no core. io (a SQLite call on the
//                loop) blocks the loop for its duration. CPU work: with
//                offload > 0 it runs on `offload` helper threads, in arrival
//                order (Asio's pool), time-sharing the cores; without, it
//                runs on its loop and blocks it. While a loop is blocked
//                nothing else happens on it: a job arriving there starts,
//                and a finished sleep or offloaded job is answered, only once
//                the loop is free again, in the order they came.
//
// Not thread-safe (SimMachine's thread). Destroy only when in_system() == 0
// (its tasks on the machine point at it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "control/candidates.h"
#include "core/status.h"
#include "policy/policy.h"
#include "sim/sim_machine.h"

namespace switchyard {

// What a job needs of the machine: cores, or time only.
enum class DemandKind { kCpu, kIo, kSleep };
// From a cost class: io -> io, sleep -> sleep, anything else (cpu, model,
// a trace's own names) -> cpu.
DemandKind DemandKindOf(const CostClass& cost_class);

struct SimJob {
  uint64_t id = 0;  // unique within a simulated server
  CostClass cost_class;
  DemandKind kind = DemandKind::kCpu;
  int64_t demand_us = 0;     // CPU work (cpu) or duration (io, sleep), uncontended
  int64_t arrival_us = 0;    // admitted
  int64_t predicted_us = 1;  // the predictor's guess, for sjf, mlfq, drr
  int connection = 0;        // async: the loop is connection % loops
  std::string client;        // drr
  int64_t priority = 0;      // priority
};

struct ExecutorModelOptions {
  int io_threads = 2;   // async: the event loops
  int64_t ipc_us = 20;  // processes: per request
  PolicyOptions policy_options;
};

class ExecutorModel : public TaskOwner {
 public:
  // A job is done at `now_us`; it started running (first slice) at `start_us`.
  using DoneFn = std::function<void(const SimJob& job, int64_t start_us, int64_t now_us)>;

  // Admits `job` at the machine's now.
  virtual void Admit(SimJob job) = 0;
  // Admitted and not started (async: waiting for a blocked loop or an
  // offload thread).
  virtual size_t queued() const = 0;
  // Admitted and not done.
  virtual size_t in_system() const = 0;
  virtual std::string label() const = 0;
};

// InvalidArgument for an unknown policy or bad options. `done` is called once
// per admitted job, from inside SimMachine::RunUntil.
Result<std::unique_ptr<ExecutorModel>> CreateExecutorModel(const Candidate& candidate,
                                                           const ExecutorModelOptions& options,
                                                           SimMachine& machine, ExecutorModel::DoneFn done);

// The implementations (worker_pool_model.cc, async_model.cc).
std::unique_ptr<ExecutorModel> MakeWorkerPoolModel(const Candidate& candidate, std::unique_ptr<Policy> policy,
                                                   int64_t ipc_us, SimMachine& machine,
                                                   ExecutorModel::DoneFn done);
std::unique_ptr<ExecutorModel> MakeAsyncModel(const Candidate& candidate, int loops, SimMachine& machine,
                                              ExecutorModel::DoneFn done);

}  // namespace switchyard
