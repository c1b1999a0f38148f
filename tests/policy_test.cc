// The scheduling policies without threads or a clock (time is passed in):
// one conformance suite over every policy, then each policy's own order.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "policy/policy.h"

namespace switchyard {
namespace {

Job MakeJob(uint64_t id, int64_t priority = 0) {
  Job j;
  j.id = id;
  j.priority = priority;
  return j;
}

std::vector<uint64_t> Drain(Policy& p, int64_t now_us = 0) {
  std::vector<uint64_t> ids;
  while (auto j = p.Pop(now_us)) ids.push_back(j->id);
  return ids;
}

class PolicyConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PolicyConformanceTest, EveryJobComesOutExactlyOnceAndSizeCounts) {
  PolicyOptions options;
  options.priority_levels = 3;
  options.aging_us = 1000;
  auto policy = CreatePolicy(GetParam(), options);
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  Policy& p = **policy;
  EXPECT_EQ(p.name(), GetParam());
  EXPECT_FALSE(p.Pop(0).has_value());
  std::mt19937_64 rng(7);
  std::set<uint64_t> pushed, popped;
  uint64_t next = 1;
  int64_t now = 0;
  // Interleaved pushes and pops, priorities in and out of range.
  for (int step = 0; step < 5000; ++step) {
    now += static_cast<int64_t>(rng() % 300);
    if (rng() % 3 != 0) {
      pushed.insert(next);
      p.Push(MakeJob(next, static_cast<int64_t>(rng() % 6)), now);
      ++next;
    } else if (auto j = p.Pop(now)) {
      EXPECT_TRUE(popped.insert(j->id).second) << "job " << j->id << " popped twice";
    }
    EXPECT_EQ(p.size(), pushed.size() - popped.size());
  }
  for (uint64_t id : Drain(p, now)) EXPECT_TRUE(popped.insert(id).second) << "job " << id << " popped twice";
  EXPECT_EQ(popped, pushed);
  EXPECT_EQ(p.size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, PolicyConformanceTest, ::testing::ValuesIn(PolicyNames()),
                         [](const auto& p) { return p.param; });

TEST(PolicyTest, FifoAndLifoOrders) {
  auto fifo = MakeFifoPolicy();
  auto lifo = MakeLifoPolicy();
  for (uint64_t i = 1; i <= 4; ++i) {
    fifo->Push(MakeJob(i), 0);
    lifo->Push(MakeJob(i), 0);
  }
  EXPECT_EQ(Drain(*fifo), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(Drain(*lifo), (std::vector<uint64_t>{4, 3, 2, 1}));
}

TEST(PolicyTest, PriorityServesUrgentClassesFirstAndFifoWithinAClass) {
  PolicyOptions options;
  options.priority_levels = 3;
  auto p = MakePriorityPolicy(options);
  // id: priority — 0 (none) and out-of-range values are the last class.
  const std::vector<std::pair<uint64_t, int64_t>> jobs = {{1, 0}, {2, 3}, {3, 1}, {4, 2}, {5, 1}, {6, 9}, {7, 2}};
  for (const auto& [id, prio] : jobs) p->Push(MakeJob(id, prio), 0);
  EXPECT_EQ(Drain(*p, 0), (std::vector<uint64_t>{3, 5, 4, 7, 1, 2, 6}));
}

TEST(PolicyTest, WithoutAgingALowClassWaitsBehindEveryUrgentJob) {
  PolicyOptions options;
  options.priority_levels = 2;
  auto p = MakePriorityPolicy(options);
  p->Push(MakeJob(1'000'000, 2), 0);
  // A steady stream of urgent work, one arrival per pop, for a long time.
  for (uint64_t i = 1; i <= 1000; ++i) {
    p->Push(MakeJob(i, 1), static_cast<int64_t>(i) * 1000);
    auto j = p->Pop(static_cast<int64_t>(i) * 1000);
    ASSERT_TRUE(j.has_value());
    ASSERT_NE(j->id, 1'000'000u) << "the low class overtook urgent work without aging, at pop " << i;
  }
}

TEST(PolicyTest, AgingBoundsTheWaitOfTheLowestClass) {
  // 4 classes, aging 10 ms: a job of the last class reaches the top class
  // after 3 x 10 ms and then goes before any younger top-class job.
  PolicyOptions options;
  options.priority_levels = 4;
  options.aging_us = 10'000;
  auto p = MakePriorityPolicy(options);
  p->Push(MakeJob(1'000'000, 4), 0);
  int64_t served_at = -1;
  // Urgent arrivals every ms, one pop per ms: the queue never empties.
  for (int64_t t = 0; t < 200'000 && served_at < 0; t += 1000) {
    p->Push(MakeJob(static_cast<uint64_t>(t / 1000 + 1), 1), t);
    auto j = p->Pop(t);
    ASSERT_TRUE(j.has_value());
    if (j->id == 1'000'000) served_at = t;
  }
  ASSERT_GE(served_at, 0) << "the low-class job starved";
  EXPECT_GE(served_at, 30'000) << "aged too fast";
  EXPECT_LE(served_at, 31'000) << "waited past the bound of (levels - 1) x aging";
}

TEST(PolicyTest, BadNamesAndOptionsAreErrorsNamingThem) {
  auto unknown = CreatePolicy("lottery");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("priority"), std::string::npos) << "lists the known policies";
  PolicyOptions zero_levels;
  zero_levels.priority_levels = 0;
  auto a = CreatePolicy("priority", zero_levels);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("priority levels"), std::string::npos);
  PolicyOptions negative_aging;
  negative_aging.aging_us = -5;
  auto b = CreatePolicy("fifo", negative_aging);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("aging"), std::string::npos);
}

}  // namespace
}  // namespace switchyard
