#include "control/reward.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace switchyard {

std::string RewardSpec::Describe() const {
  if (kind == Kind::kSloGoodput) return fmt::format("goodput within {} ms (replies/s)", slo_ms);
  return "throughput / (1 + p99 ms)";
}

double RewardSpec::Of(const WindowStats& w) const {
  if (w.throughput <= 0) return 0;
  if (kind == Kind::kSloGoodput) return w.goodput;
  return w.throughput / (1 + w.p99_ms);
}

Result<RewardSpec> ParseReward(std::string_view text) {
  RewardSpec spec;
  if (text == "throughput-p99") return spec;
  if (text.substr(0, 4) == "slo:") {
    std::string_view ms = text.substr(4);
    if (ms.size() > 2 && ms.substr(ms.size() - 2) == "ms") ms.remove_suffix(2);
    double value = 0;
    auto [end, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), value);
    if (ec == std::errc() && end == ms.data() + ms.size() && std::isfinite(value) && value > 0) {
      spec.kind = RewardSpec::Kind::kSloGoodput;
      spec.slo_ms = value;
      return spec;
    }
  }
  return InvalidArgument(
      fmt::format("--reward {}: throughput-p99 (throughput / (1 + p99 ms)) or slo:MS (goodput within a p99 "
                  "target of MS ms, "
                  "MS > 0)",
                  text));
}

}  // namespace switchyard
