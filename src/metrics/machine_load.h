// MachineLoad: the machine's CPU utilisation and the local hour, cheap enough
// to read on every admitted request (two of the runtime predictor's features).
//
// The utilisation is the busy share of all CPUs between two readings of
// /proc/stat at least a second apart; a reader that finds the last reading
// stale takes the next one itself (one reader at a time; the others use the
// value they find). 0 until the second reading.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/thread_annotations.h"

namespace switchyard {

// Thread-safe.
class MachineLoad {
 public:
  MachineLoad();
  double CpuUtilisation();  // 0..1
  int HourOfDay();          // 0..23, local time

 private:
  void MaybeRefresh() EXCLUDES(refresh_mu_);
  void Refresh(int64_t now_us) REQUIRES(refresh_mu_);

  std::atomic<int64_t> next_refresh_us_{0};
  std::atomic<double> utilisation_{0};
  std::atomic<int> hour_{0};
  Mutex refresh_mu_;  // one refresher at a time
  uint64_t last_busy_ GUARDED_BY(refresh_mu_) = 0;
  uint64_t last_total_ GUARDED_BY(refresh_mu_) = 0;
};

}  // namespace switchyard
