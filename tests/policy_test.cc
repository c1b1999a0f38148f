// The scheduling policies without threads or a clock (time is passed in):
// one conformance suite over every policy, then each policy's own order.
#include "policy/policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

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
  // Interleaved pushes, pops and expiries; priorities in and out of range,
  // predicted costs, clients, modes (sliceable or not), slices, deadlines.
  std::vector<Job> expired;
  for (int step = 0; step < 5000; ++step) {
    now += static_cast<int64_t>(rng() % 300);
    const uint64_t action = rng() % 10;
    if (action < 6) {
      pushed.insert(next);
      Job job = MakeJob(next, static_cast<int64_t>(rng() % 6));
      job.predicted_us = static_cast<int64_t>(rng() % 100'000);
      job.client = "c" + std::to_string(rng() % 4);
      job.request.mode = static_cast<ScoreMode>(rng() % 4);
      job.slices = static_cast<int>(rng() % 5);
      if (rng() % 4 == 0) job.deadline_us = now + static_cast<int64_t>(rng() % 20'000);
      p.Push(std::move(job), now);
      ++next;
    } else if (action < 9) {
      if (auto j = p.Pop(now)) {
        EXPECT_TRUE(popped.insert(j->id).second) << "job " << j->id << " popped twice";
        EXPECT_GE(p.SliceUs(*j), 0);
      }
    } else {
      expired.clear();
      p.TakeExpired(now, expired);
      for (const Job& j : expired) {
        EXPECT_LE(j.deadline_us, now) << "job " << j.id << " expired early";
        EXPECT_GT(j.deadline_us, 0);
        EXPECT_TRUE(popped.insert(j.id).second) << "job " << j.id << " came out twice";
      }
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
  const std::vector<std::pair<uint64_t, int64_t>> jobs = {{1, 0}, {2, 3}, {3, 1}, {4, 2},
                                                          {5, 1}, {6, 9}, {7, 2}};
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

Job CostJob(uint64_t id, int64_t predicted_us, std::string client = "", ScoreMode mode = ScoreMode::kInfer) {
  Job j = MakeJob(id);
  j.predicted_us = predicted_us;
  j.client = std::move(client);
  j.request.mode = mode;
  return j;
}

Job ClassJob(uint64_t id, const std::string& cost_class, int64_t predicted_us) {
  Job j = CostJob(id, predicted_us);
  j.features.cost_class = CostClass::Parse(cost_class);
  return j;
}

TEST(PolicyTest, SjfServesTheShortestPredictedClassFirstAndFifoWithinAClass) {
  auto p = MakeSjfPolicy();
  p->Push(ClassJob(1, "mid", 500), 0);
  p->Push(ClassJob(2, "short", 20), 0);
  p->Push(ClassJob(3, "long", 9000), 0);
  p->Push(ClassJob(4, "short", 20), 0);
  p->Push(ClassJob(5, "tiny", 1), 0);
  EXPECT_EQ(Drain(*p), (std::vector<uint64_t>{5, 2, 4, 1, 3}));
  EXPECT_EQ(p->SliceUs(ClassJob(9, "x", 100)), 0) << "sjf never preempts";
}

TEST(PolicyTest, SjfKeepsArrivalOrderWithinAClassWhateverTheEstimateDid) {
  // The estimate of one class drifts while its requests queue: the oldest
  // still goes first, and the class is ranked by its newest estimate.
  auto p = MakeSjfPolicy();
  p->Push(ClassJob(1, "chain", 3000), 0);
  p->Push(ClassJob(2, "chain", 1000), 0);
  p->Push(ClassJob(3, "lookup", 2000), 0);
  p->Push(ClassJob(4, "chain", 1500), 0);  // chain's estimate is now 1500 < lookup's 2000
  EXPECT_EQ(Drain(*p), (std::vector<uint64_t>{1, 2, 4, 3}));
}

TEST(PolicyTest, MlfqStartsSliceableWorkAtTheTopAndDemotesItPerSliceUsed) {
  PolicyOptions options;
  options.mlfq_quanta_us = {1000, 4000, 16000};
  auto p = MakeMlfqPolicy(options);
  // A long chain that has used two slices already sits at level 2; a fresh
  // chain and a fresh sleep start at level 0.
  Job old = CostJob(1, 1'000'000, "", ScoreMode::kCpu);
  old.slices = 2;
  p->Push(std::move(old), 0);
  p->Push(CostJob(2, 1'000'000, "", ScoreMode::kCpu), 0);
  Job once = CostJob(3, 1'000'000, "", ScoreMode::kSleep);
  once.slices = 1;
  p->Push(std::move(once), 0);
  p->Push(CostJob(4, 1'000'000, "", ScoreMode::kSleep), 0);
  std::vector<uint64_t> order;
  std::vector<int64_t> slices;
  while (auto j = p->Pop(0)) {
    order.push_back(j->id);
    slices.push_back(p->SliceUs(*j));
  }
  EXPECT_EQ(order, (std::vector<uint64_t>{2, 4, 3, 1}));
  EXPECT_EQ(slices, (std::vector<int64_t>{1000, 1000, 4000, 16000}));
  // Demotion stops at the last level, which keeps its quantum.
  Job deep = CostJob(5, 1, "", ScoreMode::kCpu);
  deep.slices = 40;
  EXPECT_EQ(p->SliceUs(deep), 16000);
}

TEST(PolicyTest, MlfqBoostsDemotedWorkBackToTheTopSoItCannotStarve) {
  PolicyOptions options;
  options.mlfq_quanta_us = {1000, 4000};
  options.mlfq_boost_us = 50'000;
  auto p = MakeMlfqPolicy(options);
  Job demoted = CostJob(1'000'000, 1'000'000, "", ScoreMode::kCpu);
  demoted.slices = 1;
  p->Push(std::move(demoted), 1);
  int64_t served_at = -1;
  // A fresh top-level request every ms, one pop per ms: level 0 never empties.
  for (int64_t t = 1000; t < 200'000 && served_at < 0; t += 1000) {
    p->Push(CostJob(static_cast<uint64_t>(t), 1000, "", ScoreMode::kCpu), t);
    auto j = p->Pop(t);
    ASSERT_TRUE(j.has_value());
    if (j->id == 1'000'000) {
      served_at = t;
      EXPECT_EQ(j->slices, 0) << "a boost forgets the demotions";
      EXPECT_EQ(p->SliceUs(*j), 1000) << "and it runs with the top quantum";
    }
  }
  ASSERT_GE(served_at, 0) << "starved";
  EXPECT_LE(served_at, 52'000) << "served within a boost period (and the one job ahead of it)";

  options.mlfq_boost_us = 0;  // no boost: it starves
  auto q = MakeMlfqPolicy(options);
  Job starved = CostJob(1'000'000, 1'000'000, "", ScoreMode::kCpu);
  starved.slices = 1;
  q->Push(std::move(starved), 1);
  for (int64_t t = 1000; t < 200'000; t += 1000) {
    q->Push(CostJob(static_cast<uint64_t>(t), 1000, "", ScoreMode::kCpu), t);
    ASSERT_NE(q->Pop(t)->id, 1'000'000u);
  }
}

TEST(PolicyTest, MlfqPlacesUnsliceableWorkByItsPredictedCostAndNeverSlicesIt) {
  PolicyOptions options;
  options.mlfq_quanta_us = {1000, 4000, 16000};
  auto p = MakeMlfqPolicy(options);
  // Levels cover [0,1000), [1000,5000), [5000,...) of predicted service.
  p->Push(CostJob(1, 50'000), 0);  // level 2
  p->Push(CostJob(2, 2'000), 0);   // level 1
  p->Push(CostJob(3, 999), 0);     // level 0
  p->Push(CostJob(4, 4'999), 0);   // level 1
  std::vector<uint64_t> order;
  while (auto j = p->Pop(0)) {
    order.push_back(j->id);
    EXPECT_EQ(p->SliceUs(*j), 0) << "an inference cannot be cut";
  }
  EXPECT_EQ(order, (std::vector<uint64_t>{3, 2, 4, 1}));
}

TEST(PolicyTest, DrrGivesBackloggedClientsEqualServiceWhateverTheirJobSizes) {
  PolicyOptions options;
  options.drr_quantum_us = 1000;
  auto p = MakeDrrPolicy(options);
  // Client a: 400 jobs of 1 ms; client b: 100 jobs of 4 ms; c: 20 of 20 ms.
  uint64_t id = 0;
  std::map<uint64_t, std::pair<std::string, int64_t>> info;
  auto add = [&](const std::string& client, int n, int64_t cost) {
    for (int i = 0; i < n; ++i) {
      info[++id] = {client, cost};
      p->Push(CostJob(id, cost, client), 0);
    }
  };
  add("a", 400, 1000);
  add("b", 100, 4000);
  add("c", 20, 20000);
  // Serve 120 ms of work, then compare what each client got.
  std::map<std::string, int64_t> served;
  int64_t total = 0;
  while (total < 120'000) {
    auto j = p->Pop(0);
    ASSERT_TRUE(j.has_value());
    served[info[j->id].first] += info[j->id].second;
    total += info[j->id].second;
  }
  for (const char* c : {"a", "b", "c"}) {
    EXPECT_NEAR(static_cast<double>(served[c]), 40'000, 20'000) << "client " << c;
  }
  // Everything still comes out, each job once.
  std::set<uint64_t> rest;
  while (auto j = p->Pop(0)) EXPECT_TRUE(rest.insert(j->id).second);
  EXPECT_EQ(p->size(), 0u);
}

TEST(PolicyTest, DrrServesAHeavyClientOnlyItsShareAgainstALightOne) {
  auto p = MakeDrrPolicy({});
  // Client "heavy" queued 100 jobs before "light" sent 5: light does not wait
  // behind all of heavy's.
  for (uint64_t i = 1; i <= 100; ++i) p->Push(CostJob(i, 1000, "heavy"), 0);
  for (uint64_t i = 101; i <= 105; ++i) p->Push(CostJob(i, 1000, "light"), 0);
  std::vector<uint64_t> first_ten;
  for (int i = 0; i < 10; ++i) first_ten.push_back(p->Pop(0)->id);
  const auto light = std::count_if(first_ten.begin(), first_ten.end(), [](uint64_t id) { return id > 100; });
  EXPECT_EQ(light, 5) << "alternating turns give light half of the first ten";
}

TEST(PolicyTest, ExpiredJobsLeaveEveryPolicyAndTheRestKeepTheirOrder) {
  for (const std::string& name : PolicyNames()) {
    auto p = CreatePolicy(name);
    ASSERT_TRUE(p.ok());
    for (uint64_t i = 1; i <= 6; ++i) {
      Job j = CostJob(i, 1000, "c");
      if (i % 2 == 0) j.deadline_us = 100 * static_cast<int64_t>(i);  // 200, 400, 600
      (*p)->Push(std::move(j), 0);
    }
    std::vector<Job> expired;
    (*p)->TakeExpired(400, expired);
    std::set<uint64_t> ids;
    for (const Job& j : expired) ids.insert(j.id);
    EXPECT_EQ(ids, (std::set<uint64_t>{2, 4})) << name;
    EXPECT_EQ((*p)->size(), 4u) << name;
    std::set<uint64_t> rest;
    for (uint64_t id : Drain(**p, 400)) rest.insert(id);
    EXPECT_EQ(rest, (std::set<uint64_t>{1, 3, 5, 6})) << name;
  }
}

TEST(PolicyTest, BadQuantaAreErrorsNamingThem) {
  PolicyOptions zero;
  zero.mlfq_quanta_us = {1000, 0};
  auto a = CreatePolicy("mlfq", zero);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("quantum of level 1"), std::string::npos) << a.status().message();
  PolicyOptions none;
  none.mlfq_quanta_us = {};
  EXPECT_FALSE(CreatePolicy("mlfq", none).ok());
  PolicyOptions negative_boost;
  negative_boost.mlfq_boost_us = -1;
  EXPECT_FALSE(CreatePolicy("mlfq", negative_boost).ok());
  PolicyOptions negative;
  negative.drr_quantum_us = -1;
  auto b = CreatePolicy("drr", negative);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("drr quantum"), std::string::npos);
}

}  // namespace
}  // namespace switchyard
