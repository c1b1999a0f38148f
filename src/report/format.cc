#include "report/format.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

namespace switchyard::report {

std::string_view LoadUnit(results::LoadMode mode) {
  return mode == results::LoadMode::kClosed ? "connections" : "req/s";
}

std::string FormatLoadValue(double x) {
  if (x == std::floor(x) && std::fabs(x) < 1e15) return fmt::format("{}", static_cast<int64_t>(x));
  return fmt::format("{:.4g}", x);
}

std::string FormatLoadPoint(double x, results::LoadMode mode) {
  std::string num = FormatLoadValue(x);
  if (mode == results::LoadMode::kClosed) return num + (x == 1 ? " connection" : " connections");
  return num + " req/s";
}

}  // namespace switchyard::report
