// SimServer: the server in virtual time — a SimMachine's cores, the
// configuration serving now (an ExecutorModel), the ones switched away from
// still draining, the runtime predictor, and the window figures the adaptive
// controller reads. It is a ControlledServer, so the real Controller drives
// it (Step with virtual time) exactly as it drives `serve`.
//
// Apply(candidate): the new configuration's workers start, taking
// start_cost_us (per executor kind, SimServerOptions); until then new
// requests still go to the old one; from then on to the new one, while the
// old one finishes what it admitted (Draining() is true meanwhile). A
// request belongs to one configuration from admission to its answer: none is
// lost or answered twice (admitted() == completed() once idle; duplicates()
// counts answers for a request already answered, which must stay 0).
//
// With request_cpu_us, a request first costs that much CPU on the cores (the
// front end's and the client's share), then reaches the configuration
// serving at that moment; its latency counts from its arrival.
//
// Window figures (Observe, the fields of WindowStats): arrival_rate (admitted
// /s), throughput and goodput (answered /s; goodput within slo_ms when set),
// p95/p99 of the answers' latency (admission to answer, nearest rank),
// error_rate 0 (nothing fails in the model), queue_length (admitted, not
// started, over every configuration) and in_system at the window's end,
// cpu_utilisation = busy cores / cores over the window, the admitted mix
// shares, their mean predicted ms, and wait_load (the admitted sleeps'
// predicted seconds per second: the waits the load keeps in progress).
//
// Not thread-safe: one thread drives a SimServer and its machine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "control/controller.h"
#include "predict/runtime_predictor.h"
#include "sim/executor_model.h"
#include "sim/sim_machine.h"

namespace switchyard {

struct SimServerOptions {
  int cores = 2;
  ExecutorModelOptions executor;
  // How long a switch's new workers take to start, per executor kind (rough
  // figures of this machine: threads are created in well under a
  // millisecond, forkserver processes take a few ms each, async reuses the
  // server's loops).
  int64_t start_threads_us = 500;
  int64_t start_processes_us = 5'000;
  int64_t start_async_us = 100;
  // What sjf, mlfq and drr order by: the online per-class EWMA (the
  // server's default), or each request's true demand.
  bool oracle_prediction = false;
  double slo_ms = 0;  // goodput's latency target; 0: goodput = throughput
  // CPU work per request outside the workers — the HTTP front end reading
  // and answering it, and a load generator on the same cores — done on the
  // machine's cores before the request reaches the executor. 0: free.
  int64_t request_cpu_us = 0;
};

// A request handed to the server.
struct SimRequest {
  CostClass cost_class;
  int64_t demand_us = 0;
  int connection = 0;
  std::string client;
  int64_t priority = 0;
};

struct SimCompletion {
  uint64_t id = 0;
  int64_t arrival_us = 0;
  int64_t done_us = 0;
};

class SimServer : public ControlledServer {
 public:
  // InvalidArgument for bad options or a candidate that cannot be modelled.
  static Result<std::unique_ptr<SimServer>> Create(const SimServerOptions& options, const Candidate& initial);
  ~SimServer() override;

  int64_t now_us() const { return machine_.now_us(); }
  // Admits a request now; its id.
  uint64_t Admit(const SimRequest& request);
  // When the next task ends (INT64_MAX when none).
  int64_t NextEventUs() const { return machine_.NextEventUs(); }
  // Advances to `t_us`, appending the requests answered by then to `done`.
  void RunUntil(int64_t t_us, std::vector<SimCompletion>& done);

  WindowStats Observe() override;
  Status Apply(const Candidate& candidate, int64_t* start_us) override;
  bool Draining() const override;

  // The configuration new requests go to (the old one until a switch's
  // start cost has passed).
  const Candidate& serving() const { return serving_; }
  uint64_t admitted() const { return admitted_; }
  uint64_t completed() const { return completed_; }
  uint64_t duplicates() const { return duplicates_; }
  size_t in_system() const { return outstanding_.size(); }
  int64_t switches() const { return switches_; }
  // Switches that took effect (new requests going to the new configuration).
  int64_t activations() const { return activations_; }
  const SimMachine& machine() const { return machine_; }

 private:
  class Activation;
  class FrontEnd;
  explicit SimServer(const SimServerOptions& options);
  Result<std::unique_ptr<ExecutorModel>> Build(const Candidate& candidate);
  void OnDone(const SimJob& job, int64_t start_us, int64_t now_us);
  void Activate(uint64_t token);
  void Dispatch(uint64_t id);  // the front end is done with it: to the executor
  void ReapDrained();

  const SimServerOptions options_;
  SimMachine machine_;
  std::unique_ptr<RuntimePredictor> predictor_;
  std::unique_ptr<Activation> activation_;
  std::unique_ptr<FrontEnd> front_end_;
  std::unordered_map<uint64_t, SimJob> reading_;  // in the front end (request_cpu_us)
  Candidate serving_;
  std::unique_ptr<ExecutorModel> current_;
  std::unique_ptr<ExecutorModel> starting_;  // Apply'd, its start cost not yet passed
  Candidate starting_candidate_;
  uint64_t starting_token_ = 0;
  std::vector<std::unique_ptr<ExecutorModel>> draining_;
  uint64_t next_id_ = 1;
  uint64_t admitted_ = 0;
  uint64_t completed_ = 0;
  uint64_t duplicates_ = 0;
  int64_t switches_ = 0;
  int64_t activations_ = 0;
  std::unordered_set<uint64_t> outstanding_;
  std::vector<SimCompletion>* sink_ = nullptr;  // RunUntil's `done`

  // The window since the last Observe.
  int64_t window_start_us_ = 0;
  double window_busy_start_ = 0;
  AdmittedMix window_admitted_;
  double window_sleep_us_ = 0;  // the sleeps' demands (mix index 2)
  std::vector<int64_t> window_latency_us_;
};

}  // namespace switchyard
