// The sampler: which files an epoch visits in which order, cut into batches —
// DataLoader's sampler and batch_sampler. Pure functions, deterministic for
// (files, shuffle, seed, epoch) with this standard library.
#pragma once

#include <cstdint>
#include <vector>

namespace switchyard {

// Indices 0..files-1, shuffled with a generator seeded by (seed, epoch) when
// `shuffle` (each epoch a different order; the same seed repeats them).
std::vector<int64_t> EpochOrder(int64_t files, bool shuffle, uint64_t seed, int epoch);

// `order` cut into batches of `batch`; the last one shorter, or dropped when
// `drop_last`.
std::vector<std::vector<int64_t>> SplitIntoBatches(const std::vector<int64_t>& order, int batch, bool drop_last);

}  // namespace switchyard
