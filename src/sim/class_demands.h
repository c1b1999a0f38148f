// ClassDemands: how much each cost class asks of the machine when it runs
// alone — CPU work (cpu:*, model:*) or time (sleep:*, io) per request — as
// samples to draw from. Taken from a recorded trace (`serve --trace-out`) or
// given directly (tests, what-if studies).
//
// A recorded service_us of CPU work includes the time it shared the cores
// with other requests, so it is de-contended. Per class:
//   - "uncontended": when at least kMinUncontended successful requests of the
//     class (and at least a tenth of them) ran with at most `cores` requests
//     running — in_system - queue_length at arrival, itself included — their
//     service_us as recorded;
//   - "scaled": otherwise every successful request's service_us x
//     min(1, cores / running) (running as above): processor sharing undone,
//     assuming the company it found at arrival stayed for its whole run.
//     Linux is no fluid processor sharing (a woken short request gets ahead
//     of the long ones), so this undershoots: from a threads/16 trace on 2
//     cores the short chains came out 2-4x below their uncontended time.
//     Record on at most `cores` workers where the demands matter.
// Sleep and io samples are kept as recorded (they hold no core). Requests
// answered with a non-2xx status (a status of 0 — not recorded — counts as
// success) are left out.
//
// Immutable after construction: safe to share between threads.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/status.h"
#include "trace/trace.h"

namespace switchyard {

inline constexpr size_t kMinUncontended = 5;

struct ClassDemand {
  std::vector<int64_t> samples_us;  // sorted
  std::string source;               // "uncontended", "scaled", "recorded" (waits), "given"
  size_t recorded = 0;              // successful requests of the class in the trace
  double mean_running = 0;          // "scaled": the mean requests running beside one, itself included
  double mean_us() const;
  int64_t percentile_us(double q) const;
};

class ClassDemands {
 public:
  ClassDemands() = default;
  // InvalidArgument when `cores` < 1 or no successful request is in the trace.
  static Result<ClassDemands> FromTrace(const std::vector<TraceRequest>& trace, int cores);
  // De-contends one recorded request's service (see above); for the replay.
  static int64_t Decontended(const TraceRequest& r, int cores);

  // Samples of `cost_class` given directly (replacing any).
  void Set(const CostClass& cost_class, std::vector<int64_t> samples_us, const std::string& source = "given");

  bool Has(const CostClass& cost_class) const { return classes_.count(cost_class) > 0; }
  // A sample of `cost_class` (which must be Has()), drawn uniformly with `rng`.
  int64_t Draw(const CostClass& cost_class, std::mt19937_64& rng) const;
  const std::map<CostClass, ClassDemand>& classes() const { return classes_; }

 private:
  std::map<CostClass, ClassDemand> classes_;
};

}  // namespace switchyard
