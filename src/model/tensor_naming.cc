#include "model/tensor_naming.h"

namespace switchyard {

std::optional<size_t> ConventionIndex(std::string_view name) {
  const size_t at = name.rfind("__");
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view digits = name.substr(at + 2);
  // Nine digits cannot overflow size_t; no model has a billion inputs.
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  size_t index = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<size_t>(c - '0');
  }
  return index;
}

}  // namespace switchyard
