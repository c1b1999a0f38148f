// WindowStats: what the adaptive controller observes of the server over one
// window — the same figures /stats and the report show, as differences of
// the server's cumulative counters and histograms between two reads.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/cost_class.h"

namespace switchyard {

struct WindowStats {
  double seconds = 0;       // length of the window
  double arrival_rate = 0;  // requests admitted per second
  double throughput = 0;    // successful replies (2xx) per second
  double goodput = 0;       // successful replies within the SLO per second (= throughput without one)
  double p95_ms = 0;        // latency of successful requests, admission to reply
  double p99_ms = 0;
  double error_rate = 0;       // 5xx replies per second (503 refusals, 504 deadlines, failures)
  double queue_length = 0;     // requests admitted, not started, at the end of the window
  double in_system = 0;        // requests read and not yet answered, at the end of the window
  double cpu_utilisation = 0;  // the machine's, 0..1
  // The mix of what was admitted, shares summing to 1 (0 when nothing was).
  double share_cpu = 0;
  double share_io = 0;
  double share_sleep = 0;
  double share_model = 0;
  // Mean predicted service time of what was admitted, ms (how heavy the mix is).
  double mean_predicted_ms = 0;
  // Seconds of waiting (the sleep requests' own durations) admitted per
  // second: the number of waits the load keeps in progress at once (Little's
  // law). A thread or process worker is held for the whole of a wait; the
  // async executor's event loops hold any number. What the capacity screen
  // reads.
  double wait_load = 0;
  // Python models: the GIL-held share of the time the window's requests ran
  // (GIL hold over service less GIL wait, of the requests whose GIL was
  // measured); 0 without any. Near 1: the work serialises on the GIL under
  // threads (seed 002's lesson). Without the wait it describes the model, not
  // the configuration: py_chain is near 1 under threads and processes alike,
  // where hold over service would be 0.5 under 2 contending threads — a
  // contextual bandit that saw a different workload under each configuration
  // could never compare them.
  double gil_held_share = 0;
};

// What a window admitted, by cost kind (CostKind's index): how many requests
// and their predicted service in µs.
struct AdmittedMix {
  std::array<uint64_t, kCostKinds> count{};
  std::array<double, kCostKinds> predicted_us{};
};

// Sets w.arrival_rate, the shares and w.mean_predicted_ms from what a window
// of w.seconds admitted — one computation for the server and the simulator.
void SetAdmitted(WindowStats& w, const AdmittedMix& admitted);

// The contextual bandit's features of a window: the mix, the load and how
// busy the machine is, each scaled to about 0..1 so none dominates:
// {share_cpu, share_io, share_sleep, share_model, log10(1 + arrival_rate) / 5,
//  cpu_utilisation, log10(1 + mean_predicted_ms) / 3, gil_held_share}.
std::vector<double> WorkloadFeatures(const WindowStats& w);
inline constexpr int kWorkloadFeatures = 8;

}  // namespace switchyard
