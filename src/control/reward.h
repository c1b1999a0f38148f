// Reward: how good a window was, the number the controller's bandit
// maximises. Two forms (`serve --reward`):
//   throughput-p99 (default, seed 002's)  throughput / (1 + p99), throughput
//                                         in replies/s, p99 in ms: 1,000/s at
//                                         9 ms p99 scores 100
//   slo:MS                                goodput: replies/s answered within
//                                         MS ms (p99 target), the rest count
//                                         for nothing
// A window with no successful reply scores 0.
#pragma once

#include <string>
#include <string_view>

#include "control/window_stats.h"
#include "core/status.h"

namespace switchyard {

struct RewardSpec {
  enum class Kind { kThroughputOverP99, kSloGoodput };
  Kind kind = Kind::kThroughputOverP99;
  double slo_ms = 0;  // kSloGoodput: the latency target

  std::string Describe() const;  // "throughput / (1 + p99 ms)", "goodput within 50 ms"
  double Of(const WindowStats& w) const;
};

// "throughput-p99" | "slo:MS" (MS > 0, e.g. "slo:50" or "slo:50ms");
// InvalidArgument naming the accepted forms otherwise.
Result<RewardSpec> ParseReward(std::string_view text);

}  // namespace switchyard
