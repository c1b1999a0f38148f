#include "metrics/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace switchyard {

int LatencyHistogram::BucketOf(int64_t value) {
  if (value < 0) value = 0;
  if (value > kMaxValue) value = kMaxValue;
  if (value < 256) return static_cast<int>(value);
  int k = 63 - std::countl_zero(static_cast<uint64_t>(value));  // 8..kMaxExponent
  int sub = static_cast<int>((value >> (k - kSubBucketBits)) & 127);
  return 256 + (k - 8) * 128 + sub;
}

int64_t LatencyHistogram::BucketLow(int bucket) {
  if (bucket < 256) return bucket;
  int k = (bucket - 256) / 128 + 8;
  int sub = (bucket - 256) % 128;
  return (int64_t{1} << k) + (static_cast<int64_t>(sub) << (k - kSubBucketBits));
}

int64_t LatencyHistogram::BucketHigh(int bucket) {
  if (bucket < 256) return bucket;
  int k = (bucket - 256) / 128 + 8;
  return BucketLow(bucket) + (int64_t{1} << (k - kSubBucketBits)) - 1;
}

void LatencyHistogram::Record(int64_t value) {
  if (value < 0) value = 0;
  counts_[static_cast<size_t>(BucketOf(value))].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  int64_t seen = max_.load(std::memory_order_relaxed);
  while (value > seen && !max_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
  seen = min_.load(std::memory_order_relaxed);
  while (value < seen && !min_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) {
    uint64_t c = other.counts_[i].load(std::memory_order_relaxed);
    if (c != 0) counts_[i].fetch_add(c, std::memory_order_relaxed);
  }
  count_.fetch_add(other.count_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  sum_.fetch_add(other.sum_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  int64_t omax = other.max_.load(std::memory_order_relaxed);
  int64_t seen = max_.load(std::memory_order_relaxed);
  while (omax > seen && !max_.compare_exchange_weak(seen, omax, std::memory_order_relaxed)) {
  }
  int64_t omin = other.min_.load(std::memory_order_relaxed);
  seen = min_.load(std::memory_order_relaxed);
  while (omin < seen && !min_.compare_exchange_weak(seen, omin, std::memory_order_relaxed)) {
  }
}

void LatencyHistogram::Subtract(const LatencyHistogram& earlier) {
  int lowest = -1;
  int highest = -1;
  for (size_t i = 0; i < counts_.size(); ++i) {
    const uint64_t mine = counts_[i].load(std::memory_order_relaxed);
    const uint64_t theirs = earlier.counts_[i].load(std::memory_order_relaxed);
    const uint64_t left = mine > theirs ? mine - theirs : 0;
    counts_[i].store(left, std::memory_order_relaxed);
    if (left != 0) {
      if (lowest < 0) lowest = static_cast<int>(i);
      highest = static_cast<int>(i);
    }
  }
  const uint64_t n = count_.load(std::memory_order_relaxed);
  const uint64_t m = earlier.count_.load(std::memory_order_relaxed);
  count_.store(n > m ? n - m : 0, std::memory_order_relaxed);
  sum_.store(sum_.load(std::memory_order_relaxed) - earlier.sum_.load(std::memory_order_relaxed),
             std::memory_order_relaxed);
  min_.store(lowest < 0 ? INT64_MAX : BucketLow(lowest), std::memory_order_relaxed);
  max_.store(highest < 0 ? 0 : BucketHigh(highest), std::memory_order_relaxed);
}

uint64_t LatencyHistogram::CountAtMost(int64_t value) const {
  uint64_t n = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    const int b = static_cast<int>(i);
    if (BucketLow(b) > value) break;
    if (BucketHigh(b) <= value || (BucketLow(b) + BucketHigh(b)) / 2 <= value) {
      n += counts_[i].load(std::memory_order_relaxed);
    }
  }
  return n;
}

void LatencyHistogram::Reset() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  sum_.store(0, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
  min_.store(INT64_MAX, std::memory_order_relaxed);
}

int64_t LatencyHistogram::min() const {
  int64_t m = min_.load(std::memory_order_relaxed);
  return m == INT64_MAX ? 0 : m;
}

double LatencyHistogram::mean() const {
  uint64_t n = count();
  return n == 0 ? 0.0 : static_cast<double>(sum_.load(std::memory_order_relaxed)) / static_cast<double>(n);
}

int64_t LatencyHistogram::Percentile(double q) const {
  uint64_t n = count();
  if (n == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(n))));
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[static_cast<size_t>(b)].load(std::memory_order_relaxed);
    if (seen >= rank) {
      int64_t mid = BucketLow(b) + (BucketHigh(b) - BucketLow(b)) / 2;
      return std::clamp(mid, min(), max());
    }
  }
  return max();
}

}  // namespace switchyard
