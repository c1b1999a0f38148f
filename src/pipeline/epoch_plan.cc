#include "pipeline/epoch_plan.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace switchyard {

std::vector<int64_t> EpochOrder(int64_t files, bool shuffle, uint64_t seed, int epoch) {
  std::vector<int64_t> order(static_cast<size_t>(files));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (shuffle) {
    std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(epoch)};
    std::mt19937_64 rng(seq);
    std::shuffle(order.begin(), order.end(), rng);
  }
  return order;
}

std::vector<std::vector<int64_t>> SplitIntoBatches(const std::vector<int64_t>& order, int batch, bool drop_last) {
  std::vector<std::vector<int64_t>> batches;
  for (size_t i = 0; i < order.size(); i += static_cast<size_t>(batch)) {
    const size_t end = std::min(order.size(), i + static_cast<size_t>(batch));
    if (drop_last && end - i < static_cast<size_t>(batch)) break;
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(i), order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return batches;
}

}  // namespace switchyard
