#include "results/number.h"

namespace switchyard::results {

double Number::value() const {
  return std::visit([](auto v) { return static_cast<double>(v); }, rep_);
}

nlohmann::json Number::ToJson() const {
  return std::visit([](auto v) { return nlohmann::json(v); }, rep_);
}

std::optional<Number> Number::FromJson(const nlohmann::json& j) {
  if (j.is_number_unsigned()) return Number(j.get<uint64_t>());
  if (j.is_number_integer()) return Number(j.get<int64_t>());
  if (j.is_number_float()) return Number(j.get<double>());
  return std::nullopt;
}

}  // namespace switchyard::results
