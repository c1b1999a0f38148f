// ServerWindow: the server's figures over a window — what the adaptive
// controller observes — as the differences of ServerMetrics' cumulative
// counters and latency histogram between two calls.
//
// Not synchronized: one caller (the controller's thread). The metrics it
// reads are atomics and histograms, safe to read while the server records.
#pragma once

#include <array>
#include <cstdint>

#include "control/window_stats.h"
#include "metrics/latency_histogram.h"
#include "server/server_metrics.h"

namespace switchyard {

class ServerWindow {
 public:
  // `slo_ms`: the latency target goodput counts against (0: none, goodput =
  // throughput).
  ServerWindow(const ServerMetrics& metrics, double slo_ms, int64_t now_us);

  // The window since the previous call (or construction), ending at `now_us`,
  // with the instantaneous queue length and CPU utilisation given.
  WindowStats Observe(int64_t now_us, double queue_length, double cpu_utilisation);
  // The same figures without ending the window.
  WindowStats Peek(int64_t now_us, double queue_length, double cpu_utilisation) const;
  // The last Observe()'s window split into the traffic's parts
  // (ServerMetrics::parts: [0] the current configuration, [1] a canary):
  // seconds, arrival_rate (admitted), throughput, goodput, p95_ms, p99_ms
  // and error_rate of each; the other fields 0.
  const std::array<WindowStats, 2>& parts() const { return parts_; }

 private:
  struct Counters {
    std::array<uint64_t, kCostKinds> admitted{};
    std::array<uint64_t, kCostKinds> predicted_us{};
    uint64_t sleep_us = 0;
    uint64_t ok = 0;
    uint64_t failed = 0;
    uint64_t python_run_us = 0;
    uint64_t python_gil_hold_us = 0;
    std::array<uint64_t, 2> part_admitted{};
    std::array<uint64_t, 2> part_ok{};
    std::array<uint64_t, 2> part_failed{};
  };
  // Sets parts_ from the counters and part histograms now, and moves the
  // part histograms' starting point.
  void ObserveParts(double secs, const Counters& now);
  // Latency of the window's replies (failures too), goodput within the SLO.
  void SetLatency(WindowStats& w, const LatencyHistogram& window, uint64_t ok, double secs) const;
  Counters Read() const;
  // The window's figures as of now_us; `now` and `total` get the counters
  // and the latency histogram read.
  WindowStats Compute(int64_t now_us, double queue_length, double cpu_utilisation, Counters& now,
                      LatencyHistogram& total) const;

  const ServerMetrics& metrics_;
  const double slo_ms_;
  int64_t last_us_;
  Counters last_;
  LatencyHistogram last_total_;
  std::array<LatencyHistogram, 2> last_part_total_;
  std::array<WindowStats, 2> parts_{};
};

}  // namespace switchyard
