// Simulate: a trace replayed under a policy and a worker count in virtual
// time — exactly, deterministically and fast — through the same Policy code
// the server's queue uses. "What would priority-with-aging have done on
// yesterday's traffic?", and policy properties checked without wall clocks.
//
// Requests arrive at arrival_us, wait in the policy, and run for service_us
// on the first free worker. Only mlfq preempts: a sliceable request (any
// class but "io" and "model:*", as in the server) runs a quantum at a time and
// goes back to the queue between slices. At one instant completions (and
// preemptions) are handled first, then arrivals, then idle workers take work.
//
// sjf, mlfq and drr order by a predicted service time, as in the server: the
// online per-class EWMA by default, learning from the simulated completions;
// or the trace's own service_us (an oracle: what a perfect predictor gives);
// or any RuntimePredictor (an XGBoost model from train-predictor).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "policy/policy.h"
#include "predict/runtime_predictor.h"
#include "trace/trace.h"

namespace switchyard {

struct WaitFigures {
  int64_t completed = 0;
  double mean_wait_us = 0;
  int64_t p50_wait_us = 0;
  int64_t p99_wait_us = 0;
  int64_t max_wait_us = 0;
  double mean_sojourn_us = 0;  // wait + service
};

struct SimulationOptions {
  enum class Prediction { kEwma, kOracle, kModel };
  Prediction prediction = Prediction::kEwma;
  const RuntimePredictor* model = nullptr;  // kModel: not owned
};

struct SimulationResult {
  WaitFigures all;
  std::map<std::string, WaitFigures> classes;
  std::map<std::string, WaitFigures> clients;  // by the trace's client
  // Jain's fairness index of the service each client received while every
  // client still had requests to come or to serve (up to the first client's
  // last completion): 1 = equal shares. Meaningful when the clients keep the
  // workers busy; 0 with fewer than two clients.
  double jain_index = 0;
  int64_t preemptions = 0;  // mlfq slices that ended with work left
  int64_t makespan_us = 0;       // last completion
  double utilisation = 0;        // busy worker time / (workers x makespan)
  std::vector<int64_t> wait_us;  // per request, in trace order
};

// InvalidArgument for an unknown policy, bad options or workers < 1.
Result<SimulationResult> Simulate(const std::vector<TraceRequest>& trace, const std::string& policy,
                                  const PolicyOptions& options, int workers, const SimulationOptions& sim = {});


}  // namespace switchyard
