#include "control/window_stats.h"

#include <cmath>

namespace switchyard {

std::vector<double> WorkloadFeatures(const WindowStats& w) {
  return {w.share_cpu,
          w.share_io,
          w.share_sleep,
          w.share_model,
          std::log10(1 + w.arrival_rate) / 5,
          w.cpu_utilisation,
          std::log10(1 + w.mean_predicted_ms) / 3};
}

}  // namespace switchyard
