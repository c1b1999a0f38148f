// A latency histogram as /stats shows it: count, mean, p50, p95, p99, max.
#pragma once

#include <nlohmann/json.hpp>

#include "metrics/latency_histogram.h"

namespace switchyard {

nlohmann::json HistogramJson(const LatencyHistogram& h);

}  // namespace switchyard
