// Simulate: a trace replayed under a policy and a worker count in virtual
// time — exactly, deterministically and fast — through the same Policy code
// the server's queue uses. "What would priority-with-aging have done on
// yesterday's traffic?", and policy properties checked without wall clocks.
//
// Requests arrive at arrival_us, wait in the policy, and run for service_us
// on the first free worker (never preempted). At one instant completions are
// handled first, then arrivals, then idle workers take work.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "policy/policy.h"
#include "sim/trace.h"

namespace switchyard {

struct WaitFigures {
  int64_t completed = 0;
  double mean_wait_us = 0;
  int64_t p50_wait_us = 0;
  int64_t p99_wait_us = 0;
  int64_t max_wait_us = 0;
  double mean_sojourn_us = 0;  // wait + service
};

struct SimulationResult {
  WaitFigures all;
  std::map<std::string, WaitFigures> classes;
  int64_t makespan_us = 0;       // last completion
  double utilisation = 0;        // busy worker time / (workers x makespan)
  std::vector<int64_t> wait_us;  // per request, in trace order
};

// InvalidArgument for an unknown policy, bad options or workers < 1.
Result<SimulationResult> Simulate(const std::vector<TraceRequest>& trace, const std::string& policy,
                                  const PolicyOptions& options, int workers);

}  // namespace switchyard
