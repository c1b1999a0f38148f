#include "metrics/jain_index.h"

namespace switchyard {

std::optional<double> JainIndex(const std::vector<double>& x) {
  if (x.size() < 2) return std::nullopt;
  double sum = 0;
  double squares = 0;
  for (double v : x) {
    sum += v;
    squares += v * v;
  }
  if (squares <= 0) return std::nullopt;
  return sum * sum / (static_cast<double>(x.size()) * squares);
}

}  // namespace switchyard
