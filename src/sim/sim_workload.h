// SimWorkload: the load a simulated run offers, in the server's terms — a
// sequence of phases (the `bench --phases` file: duration, closed-loop
// connections or open-loop rate, a mix whose entries become cost classes
// through CostClassOf, as the server names them) whose requests draw their
// demand from ClassDemands; or a recorded trace's own arrivals, replayed open
// loop, each request with its own (de-contended) demand.
//
// Immutable after construction: safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "loadgen/load_phase.h"
#include "sim/class_demands.h"
#include "trace/trace.h"

namespace switchyard {

struct SimPhase {
  std::string name;
  int64_t duration_us = 0;
  std::optional<double> rate;  // open loop; else closed loop
  int connections = 16;        // closed loop: clients; open loop: the pool's cap
  Arrivals arrivals = Arrivals::kPoisson;
  RequestMix mix;
  std::vector<CostClass> entry_class;  // per mix entry, its cost class
  int repetition = 1;                  // --repeat-phases: which pass over the file
};

// A request of a replayed trace.
struct ReplayRequest {
  int64_t arrival_us = 0;
  CostClass cost_class;
  int64_t demand_us = 0;
  std::string client;
  int64_t priority = 0;
};

struct SimWorkload {
  std::vector<SimPhase> phases;       // empty for a replay
  std::vector<ReplayRequest> replay;  // sorted by arrival
  ClassDemands demands;
  // The replay's one phase, or the phases.
  size_t phase_count() const { return phases.empty() ? 1 : phases.size(); }
  std::string phase_name(size_t i) const { return phases.empty() ? "trace" : phases[i].name; }
  int64_t duration_us() const;
};

// The cost class a mix entry's requests have (CostClassOf), or
// InvalidArgument for kinds that are not /score or v2 requests (get).
Result<CostClass> ClassOfEntry(const MixEntry& entry);

// The phases of `phases_file`, `repeat` times over, against `demands`. A mix
// entry whose class has no demand is an error naming the file, the line of
// the phase's mix and the class — except a sleep, whose demand is its ms.
Result<SimWorkload> PhasedWorkload(const std::string& phases_file, int repeat, ClassDemands demands);
// The same from parsed phases (tests; errors name the phase instead).
Result<SimWorkload> PhasedWorkload(const std::vector<LoadPhase>& phases, int repeat, ClassDemands demands);
// The trace's own arrivals (shifted to start at 0) and de-contended demands.
Result<SimWorkload> ReplayWorkload(const std::vector<TraceRequest>& trace, int cores);

}  // namespace switchyard
