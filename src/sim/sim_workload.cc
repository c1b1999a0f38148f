#include "sim/sim_workload.h"

#include <algorithm>

#include "config/toml_reader.h"
#include "core/cost_class.h"

namespace switchyard {

int64_t SimWorkload::duration_us() const {
  if (phases.empty()) {
    if (replay.empty()) return 0;
    // Whole seconds, so the per-second figures have full seconds.
    return (replay.back().arrival_us / 1'000'000 + 1) * 1'000'000;
  }
  int64_t total = 0;
  for (const SimPhase& p : phases) total += p.duration_us;
  return total;
}

Result<CostClass> ClassOfEntry(const MixEntry& entry) {
  switch (entry.kind) {
    case RequestKind::kCpu:
      return CostClass::Cpu(entry.iters);
    case RequestKind::kIo:
      return CostClass::Io();
    case RequestKind::kSleep:
      return CostClass::Sleep(entry.sleep_ms);
    case RequestKind::kInfer:
      return CostClass::Model(entry.model);
    case RequestKind::kGet:
      break;
  }
  return InvalidArgument("a 'get' entry is not served by /score: it cannot be simulated");
}

namespace {

// Resolves every entry's class; `where(i, message)` names phase i's mix.
template <typename Where>
Result<SimWorkload> Resolve(const std::vector<LoadPhase>& phases, int repeat, ClassDemands demands,
                            Where where) {
  if (repeat < 1) return InvalidArgument("--repeat-phases must be at least 1, got " + std::to_string(repeat));
  if (phases.empty()) return InvalidArgument("no phases");
  std::vector<SimPhase> once;
  for (size_t i = 0; i < phases.size(); ++i) {
    const LoadPhase& lp = phases[i];
    SimPhase p;
    p.name = lp.name;
    p.duration_us = lp.duration_us;
    p.rate = lp.rate;
    p.connections = lp.connections;
    p.arrivals = lp.arrivals;
    p.mix = lp.mix;
    for (const MixEntry& e : lp.mix.entries()) {
      auto cost_class = ClassOfEntry(e);
      if (!cost_class.ok()) return where(i, cost_class.status().message());
      if (!demands.Has(*cost_class)) {
        if (e.kind != RequestKind::kSleep) {
          return where(i, "the trace has no successful request of class " + cost_class->text() +
                              " to take its demand from (record one with serve --trace-out under this mix)");
        }
        // A sleep's demand is its length.
        demands.Set(*cost_class, {static_cast<int64_t>(e.sleep_ms) * 1000}, "mix");
      }
      p.entry_class.push_back(*cost_class);
    }
    once.push_back(std::move(p));
  }
  SimWorkload w;
  for (int r = 1; r <= repeat; ++r) {
    for (SimPhase p : once) {
      p.repetition = r;
      w.phases.push_back(std::move(p));
    }
  }
  w.demands = std::move(demands);
  return w;
}

}  // namespace

Result<SimWorkload> PhasedWorkload(const std::vector<LoadPhase>& phases, int repeat, ClassDemands demands) {
  return Resolve(phases, repeat, std::move(demands), [&](size_t i, const std::string& message) -> Status {
    return InvalidArgument("phase '" + phases[i].name + "': mix: " + message);
  });
}

Result<SimWorkload> PhasedWorkload(const std::string& phases_file, int repeat, ClassDemands demands) {
  auto phases = LoadPhasesFile(phases_file);
  if (!phases.ok()) return phases.status();
  // The file again, for the line of each phase's mix in messages.
  auto doc = TomlDocument::Load(phases_file);
  if (!doc.ok()) return doc.status();
  auto tables = (*doc)->root().Tables("phase");
  if (!tables.ok()) return tables.status();
  return Resolve(*phases, repeat, std::move(demands), [&](size_t i, const std::string& message) -> Status {
    if (i < tables->size()) return (*tables)[i].Error("mix", message);
    return InvalidArgument(phases_file + ": phase '" + (*phases)[i].name + "': mix: " + message);
  });
}

Result<SimWorkload> ReplayWorkload(const std::vector<TraceRequest>& trace, int cores) {
  if (trace.empty()) return InvalidArgument("the trace is empty: nothing to replay");
  auto demands = ClassDemands::FromTrace(trace, cores);
  if (!demands.ok()) return demands.status();
  SimWorkload w;
  w.demands = std::move(demands).value();
  int64_t first = INT64_MAX;
  for (const TraceRequest& r : trace) first = std::min(first, r.arrival_us);
  for (const TraceRequest& r : trace) {
    w.replay.push_back(
        {r.arrival_us - first, r.cost_class, ClassDemands::Decontended(r, cores), r.client, r.priority});
  }
  std::stable_sort(w.replay.begin(), w.replay.end(), [](const ReplayRequest& a, const ReplayRequest& b) {
    return a.arrival_us < b.arrival_us;
  });
  return w;
}

}  // namespace switchyard
