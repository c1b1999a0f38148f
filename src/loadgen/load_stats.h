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

// One slice of a phase's outcomes: a mix entry (named by its label, with the
// client it sends as) or a client (named by its id; "" for the requests
// that name none, and then `client` is the same id).
struct GroupStats {
  GroupStats(std::string group_name, std::string client_id);
  std::string name;
  std::string client;
  uint64_t requests = 0;  // final outcomes
  uint64_t ok = 0;        // 2xx
  std::map<std::string, uint64_t> errors;  // as PhaseStats::errors: "503", "504", "timeout", ...
  std::unique_ptr<LatencyHistogram> ok_latency;  // of the 2xx answers only

  uint64_t error_count() const;
  uint64_t errors_of(const std::string& what) const;
  void Merge(const GroupStats& other);
};

// Adds `from` into `into`, matching groups by name and client and appending
// those `into` lacks, in their order.
void MergeGroups(std::vector<GroupStats>& into, const std::vector<GroupStats>& from);

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
  // Per mix entry, indexed like the phase's mix (LoadStats::NameEntries);
  // in a merged total, one per (label, client) of the phases merged.
  std::vector<GroupStats> entries;

  uint64_t error_count() const;
  // The entries added up per client, in the order of first appearance.
  std::vector<GroupStats> Clients() const;
  // Adds `other`'s figures; entries are matched by label and client, those
  // missing here are appended, so phases with different mixes merge into
  // one total.
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

  // Sets up phase `phase`'s per-entry groups from its mix: call before
  // recording, so that the hot path indexes them and allocates nothing.
  // (Per-client figures are the entries' sums, made when asked for.)
  void NameEntries(size_t phase, const RequestMix& mix);

  // One final outcome of entry `entry` (of kind `kind`) of the phase's mix:
  // `status` is the HTTP status, or 0 with `error` set ("socket",
  // "timeout", "connect").
  void RecordOutcome(size_t phase, size_t second, RequestKind kind, size_t entry, int64_t latency_us, int status,
                     const char* error);
  void RecordSend(size_t phase, size_t second);

  void Merge(const LoadStats& other);
  PhaseStats Total() const;  // every phase together

 private:
  std::vector<PhaseStats> phases_;
  std::vector<SecondStats> seconds_;
};

}  // namespace switchyard
