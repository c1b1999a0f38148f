// LoadStats: what a load run measured, per phase and per second.
//
// Each generator thread fills its own LoadStats (no sharing on the hot path);
// the run merges them at the end. Histograms are the server's log-linear
// LatencyHistogram (within 0.4% of a recorded value), which merge by adding
// counts. Not thread-safe: one owner at a time.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "loadgen/request_mix.h"
#include "metrics/latency_histogram.h"

namespace switchyard {

struct PhaseStats {
  PhaseStats();
  uint64_t sent = 0;       // requests sent in this phase (measured window only)
  uint64_t requests = 0;   // of those, answered or failed (a final outcome)
  uint64_t ok = 0;         // 2xx
  uint64_t late = 0;            // open loop: sent > 1 ms after their scheduled time
  uint64_t late_generator = 0;  // ... because the generator itself fell behind
  std::map<std::string, uint64_t> errors;  // "503", "socket", "timeout", ...
  std::unique_ptr<LatencyHistogram> latency;
  std::array<std::unique_ptr<LatencyHistogram>, kRequestKinds> by_kind;

  uint64_t error_count() const;
  void Merge(const PhaseStats& other);
};

struct SecondStats {
  int phase = 0;
  uint64_t sent = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::unique_ptr<LatencyHistogram> latency = std::make_unique<LatencyHistogram>();
};

class LoadStats {
 public:
  explicit LoadStats(size_t phases) : phases_(phases) {}

  PhaseStats& phase(size_t i) { return phases_[i]; }
  const std::vector<PhaseStats>& phases() const { return phases_; }
  // Second `s` of the measured window (grown on demand).
  SecondStats& second(size_t s);
  const std::vector<SecondStats>& seconds() const { return seconds_; }

  // One final outcome: `status` is the HTTP status, or 0 with `error` set
  // ("socket", "timeout", "connect").
  void RecordOutcome(size_t phase, size_t second, RequestKind kind, int64_t latency_us, int status,
                     const char* error);
  void RecordSend(size_t phase, size_t second);

  void Merge(const LoadStats& other);
  PhaseStats Total() const;  // every phase together

 private:
  std::vector<PhaseStats> phases_;
  std::vector<SecondStats> seconds_;
};

}  // namespace switchyard
