#include "core/cost_class.h"

#include <bit>
#include <cstdint>

namespace switchyard {

namespace {

std::string PowerOfTwoClass(const char* mode, uint64_t amount) {
  // floor(log2(amount + 1)): 0 -> 0, 1 -> 1, 2..3 -> 1.., never undefined.
  const int k = amount == UINT64_MAX ? 64 : static_cast<int>(std::bit_width(amount + 1)) - 1;
  return std::string(mode) + ":2^" + std::to_string(k);
}

}  // namespace

std::string CostClassOf(const ScoreRequest& request) {
  switch (request.mode) {
    case ScoreMode::kCpu: return PowerOfTwoClass("cpu", request.iters);
    case ScoreMode::kIo: return "io";
    case ScoreMode::kSleep: return PowerOfTwoClass("sleep", request.sleep_ms);
    case ScoreMode::kInfer: return "model:" + request.model;
  }
  return "unknown";
}

}  // namespace switchyard
