#include "policy/policy.h"

namespace switchyard {

std::vector<std::string> PolicyNames() { return {"fifo"}; }

Result<std::unique_ptr<Policy>> CreatePolicy(std::string_view name) {
  if (name == "fifo") return MakeFifoPolicy();
  std::string known;
  for (const auto& n : PolicyNames()) known += (known.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown policy '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace switchyard
