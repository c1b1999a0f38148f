#include "report/figure.h"

#include <algorithm>
#include <cmath>

namespace switchyard::report {

Figure FigureOf(const std::optional<results::Number>& n) {
  if (!n || !std::isfinite(n->value())) return std::nullopt;
  return n->value();
}

Figure FigureOf(const results::Nullable<results::Number>& n) { return FigureOf(n.value()); }

Figure MedianOf(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  if (n % 2 == 1) return values[n / 2];
  return (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace switchyard::report
