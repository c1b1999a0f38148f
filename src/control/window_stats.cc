#include "control/window_stats.h"

#include <cmath>

namespace switchyard {

void SetAdmitted(WindowStats& w, const AdmittedMix& admitted) {
  const double secs = w.seconds > 0 ? w.seconds : 1;
  uint64_t total = 0;
  double predicted_us = 0;
  for (size_t k = 0; k < kCostKinds; ++k) {
    total += admitted.count[k];
    predicted_us += admitted.predicted_us[k];
  }
  w.arrival_rate = static_cast<double>(total) / secs;
  if (total == 0) return;
  const double n = static_cast<double>(total);
  auto share = [&](CostKind k) { return static_cast<double>(admitted.count[static_cast<size_t>(k)]) / n; };
  w.share_cpu = share(CostKind::kCpu);
  w.share_io = share(CostKind::kIo);
  w.share_sleep = share(CostKind::kSleep);
  w.share_model = share(CostKind::kModel);
  w.mean_predicted_ms = predicted_us / n / 1e3;
}

std::vector<double> WorkloadFeatures(const WindowStats& w) {
  return {w.share_cpu,
          w.share_io,
          w.share_sleep,
          w.share_model,
          std::log10(1 + w.arrival_rate) / 5,
          w.cpu_utilisation,
          std::log10(1 + w.mean_predicted_ms) / 3,
          w.gil_held_share};
}

}  // namespace switchyard
