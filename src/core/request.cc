#include "core/request.h"

namespace switchyard {

CostClass CostClassOf(const ScoreRequest& request) {
  switch (request.mode) {
    case ScoreMode::kCpu:
      return CostClass::Cpu(request.iters);
    case ScoreMode::kIo:
      return CostClass::Io();
    case ScoreMode::kSleep:
      return CostClass::Sleep(request.sleep_ms);
    case ScoreMode::kInfer:
      return CostClass::Model(request.model);
  }
  return CostClass::Parse("unknown");
}

}  // namespace switchyard
