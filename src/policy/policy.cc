#include "policy/policy.h"

namespace switchyard {

Status PolicyOptions::Validate() const {
  if (priority_levels < 1 || priority_levels > 1000) {
    return InvalidArgument("priority levels must be between 1 and 1000, got " + std::to_string(priority_levels));
  }
  if (aging_us < 0) return InvalidArgument("aging must not be negative, got " + std::to_string(aging_us) + " us");
  if (mlfq_quanta_us.empty() || mlfq_quanta_us.size() > 16) {
    return InvalidArgument("mlfq needs 1 to 16 levels (one quantum each), got " +
                           std::to_string(mlfq_quanta_us.size()));
  }
  for (size_t i = 0; i < mlfq_quanta_us.size(); ++i) {
    if (mlfq_quanta_us[i] <= 0) {
      return InvalidArgument("mlfq quantum of level " + std::to_string(i) + " must be positive, got " +
                             std::to_string(mlfq_quanta_us[i]) + " us");
    }
  }
  if (mlfq_boost_us < 0) {
    return InvalidArgument("mlfq boost period must not be negative, got " + std::to_string(mlfq_boost_us) + " us");
  }
  if (drr_quantum_us <= 0) {
    return InvalidArgument("drr quantum must be positive, got " + std::to_string(drr_quantum_us) + " us");
  }
  return Status::Ok();
}

std::vector<std::string> PolicyNames() { return {"fifo", "lifo", "priority", "sjf", "mlfq", "drr"}; }

bool IsSliceable(const ScoreRequest& request) {
  return request.mode == ScoreMode::kCpu || request.mode == ScoreMode::kSleep;
}

Result<std::unique_ptr<Policy>> CreatePolicy(std::string_view name, const PolicyOptions& options) {
  Status valid = options.Validate();
  if (!valid.ok()) return valid;
  if (name == "fifo") return MakeFifoPolicy();
  if (name == "lifo") return MakeLifoPolicy();
  if (name == "priority") return MakePriorityPolicy(options);
  if (name == "sjf") return MakeSjfPolicy();
  if (name == "mlfq") return MakeMlfqPolicy(options);
  if (name == "drr") return MakeDrrPolicy(options);
  std::string known;
  for (const auto& n : PolicyNames()) known += (known.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown policy '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace switchyard
