#include "metrics/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

namespace switchyard {
namespace {

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.Percentile(0.5), 50);
  EXPECT_EQ(h.Percentile(0.99), 99);
  EXPECT_EQ(h.Percentile(1.0), 100);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 100);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogramTest, BucketsTileTheRangeWithoutGaps) {
  for (int b = 0; b + 1 < LatencyHistogram::kBuckets; ++b) {
    ASSERT_EQ(LatencyHistogram::BucketHigh(b) + 1, LatencyHistogram::BucketLow(b + 1)) << b;
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketLow(b)), b);
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketHigh(b)), b);
  }
}

TEST(LatencyHistogramTest, PercentilesWithinOnePercentOfExact) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(8.0, 2.0);
  std::vector<int64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    auto v = static_cast<int64_t>(dist(rng));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.95, 0.99, 0.999}) {
    auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
    double exact = static_cast<double>(values[rank - 1]);
    double got = static_cast<double>(h.Percentile(q));
    EXPECT_LE(std::abs(got - exact), 0.01 * exact + 1) << "q=" << q;
  }
  EXPECT_EQ(h.max(), values.back());
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (int64_t v = 0; v < 100000; v += 37) {
    (v % 2 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double q : {0.1, 0.5, 0.99}) EXPECT_EQ(a.Percentile(q), all.Percentile(q));
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
}

TEST(LatencyHistogramTest, ConcurrentRecordsAreAllCounted) {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < 50000; ++i) h.Record(i);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.count(), 200000u);
}

TEST(LatencyHistogramTest, EmptyAndOutOfRangeValues) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(0.5), 0);
  h.Record(-5);
  h.Record(LatencyHistogram::kMaxValue * 4);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.Percentile(0.0), 0);
}

TEST(LatencyHistogramTest, SubtractingAnEarlierCopyLeavesTheWindow) {
  LatencyHistogram h;
  for (int64_t v = 1; v <= 1000; ++v) h.Record(v * 10);  // before the window
  const LatencyHistogram before(h);
  LatencyHistogram window_only;
  for (int64_t v = 1; v <= 500; ++v) {
    h.Record(5000 + v);
    window_only.Record(5000 + v);
  }
  LatencyHistogram window(h);
  window.Subtract(before);
  EXPECT_EQ(window.count(), 500u);
  EXPECT_EQ(window.Percentile(0.5), window_only.Percentile(0.5));
  EXPECT_EQ(window.Percentile(0.99), window_only.Percentile(0.99));
  EXPECT_DOUBLE_EQ(window.mean(), window_only.mean());
  EXPECT_LE(window.min(), 5001);
  EXPECT_GE(window.max(), 5500);
  LatencyHistogram empty(before);
  empty.Subtract(before);
  EXPECT_EQ(empty.count(), 0u);
  EXPECT_EQ(empty.Percentile(0.99), 0);
}

TEST(LatencyHistogramTest, CountAtMostCountsTheValuesUpToABound) {
  LatencyHistogram h;
  for (int64_t v = 0; v < 100; ++v) h.Record(v);        // exact buckets
  for (int64_t v = 0; v < 100; ++v) h.Record(100'000);  // far above
  EXPECT_EQ(h.CountAtMost(49), 50u);
  EXPECT_EQ(h.CountAtMost(99), 100u);
  EXPECT_EQ(h.CountAtMost(50'000), 100u);
  EXPECT_EQ(h.CountAtMost(200'000), 200u);
  EXPECT_EQ(h.CountAtMost(-1), 0u);
}

}  // namespace
}  // namespace switchyard
