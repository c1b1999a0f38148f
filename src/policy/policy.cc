#include "policy/policy.h"

namespace switchyard {

Status PolicyOptions::Validate() const {
  if (priority_levels < 1 || priority_levels > 1000) {
    return InvalidArgument("priority levels must be between 1 and 1000, got " + std::to_string(priority_levels));
  }
  if (aging_us < 0) return InvalidArgument("aging must not be negative, got " + std::to_string(aging_us) + " us");
  return Status::Ok();
}

std::vector<std::string> PolicyNames() { return {"fifo", "lifo", "priority"}; }

Result<std::unique_ptr<Policy>> CreatePolicy(std::string_view name, const PolicyOptions& options) {
  Status valid = options.Validate();
  if (!valid.ok()) return valid;
  if (name == "fifo") return MakeFifoPolicy();
  if (name == "lifo") return MakeLifoPolicy();
  if (name == "priority") return MakePriorityPolicy(options);
  std::string known;
  for (const auto& n : PolicyNames()) known += (known.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown policy '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace switchyard
