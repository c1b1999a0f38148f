#include "server/histogram_json.h"

namespace switchyard {

nlohmann::json HistogramJson(const LatencyHistogram& h) {
  return {{"count", h.count()},        {"mean", h.mean()},          {"p50", h.Percentile(0.50)},
          {"p95", h.Percentile(0.95)}, {"p99", h.Percentile(0.99)}, {"max", h.max()}};
}

}  // namespace switchyard
