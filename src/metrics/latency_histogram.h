// LatencyHistogram: log-linear buckets with bounded relative error.
//
// Values are non-negative integers (microseconds here). 0..255 are counted
// exactly; above that each power of two is split into 128 equal buckets, so a
// reported percentile is within 1/256 (0.4%) of a value that was recorded.
// Histograms of the same layout merge by adding counts, across threads, runs
// and processes.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace switchyard {

// Record() and the readers are safe to call concurrently (relaxed atomics: a
// reader racing writers sees some consistent-enough prefix of the records).
class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr int kMaxExponent = 40;  // values beyond ~12.7 days clamp
  static constexpr int64_t kMaxValue = (int64_t{1} << (kMaxExponent + 1)) - 1;
  static constexpr int kBuckets = 256 + (kMaxExponent - 7) * 128;

  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram& other) { Merge(other); }
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  void Record(int64_t value);
  void Merge(const LatencyHistogram& other);
  void Reset();
  // Removes what `earlier` counted, where `earlier` is a copy of this
  // histogram taken before: what is left is what was recorded since, a
  // window. Its min and max become the bounds of its lowest and highest
  // non-empty buckets (the exact ones are not known). Not for concurrent use
  // with Record() on this histogram (use it on a copy).
  void Subtract(const LatencyHistogram& earlier);
  // How many recorded values are at most `value` (exact at bucket bounds;
  // a bucket that straddles `value` counts when its midpoint is at most it).
  uint64_t CountAtMost(int64_t value) const;

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  int64_t max() const { return max_.load(std::memory_order_relaxed); }
  int64_t min() const;
  double mean() const;
  // The value at quantile q in [0,1]: the smallest recorded bucket whose
  // cumulative count reaches ceil(q * count), reported at its midpoint and
  // clamped to the observed min and max. 0 when empty.
  int64_t Percentile(double q) const;

  static int BucketOf(int64_t value);
  static int64_t BucketLow(int bucket);
  static int64_t BucketHigh(int bucket);  // inclusive

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_{0};
  std::atomic<int64_t> max_{0};
  std::atomic<int64_t> min_{INT64_MAX};
};

}  // namespace switchyard
