#include "policy/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "policy/policy.h"

namespace switchyard {
namespace {

Job MakeJob(uint64_t id) {
  Job j;
  j.id = id;
  return j;
}

TEST(FifoPolicyTest, PopsInArrivalOrder) {
  auto policy = MakeFifoPolicy();
  for (uint64_t i = 1; i <= 5; ++i) policy->Push(MakeJob(i), 0);
  EXPECT_EQ(policy->size(), 5u);
  for (uint64_t i = 1; i <= 5; ++i) EXPECT_EQ(policy->Pop(0)->id, i);
  EXPECT_FALSE(policy->Pop(0).has_value());
}

TEST(PolicyFactoryTest, UnknownNameListsKnownOnes) {
  auto p = CreatePolicy("lottery");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("fifo"), std::string::npos);
  EXPECT_TRUE(CreatePolicy("fifo").ok());
}

TEST(WorkQueueTest, RefusesBeyondBoundAndCallerKeepsJob) {
  ManualClock clock;
  WorkQueue q(MakeFifoPolicy(), 2, clock);
  Job a = MakeJob(1), b = MakeJob(2), c = MakeJob(3);
  c.on_done = [](ScoreOutcome) {};
  EXPECT_EQ(q.TryPush(a), Admission::kOk);
  EXPECT_EQ(q.TryPush(b), Admission::kOk);
  EXPECT_EQ(q.TryPush(c), Admission::kFull);
  EXPECT_EQ(c.id, 3u);
  EXPECT_TRUE(static_cast<bool>(c.on_done));  // untouched
  EXPECT_EQ(q.size(), 2u);
}

TEST(WorkQueueTest, CloseRefusesPushesButHandsOutWhatIsQueued) {
  ManualClock clock;
  WorkQueue q(MakeFifoPolicy(), 10, clock);
  Job a = MakeJob(1);
  ASSERT_EQ(q.TryPush(a), Admission::kOk);
  q.Close();
  Job b = MakeJob(2);
  EXPECT_EQ(q.TryPush(b), Admission::kClosed);
  EXPECT_EQ(q.Pop()->id, 1u);
  EXPECT_FALSE(q.Pop().has_value());  // closed and empty: does not block
}

TEST(WorkQueueTest, EveryJobIsPoppedExactlyOnceByConcurrentWorkers) {
  ManualClock clock;
  WorkQueue q(MakeFifoPolicy(), 100000, clock);
  std::mutex mu;
  std::multiset<uint64_t> seen;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto job = q.Pop()) {
        std::lock_guard<std::mutex> lock(mu);
        seen.insert(job->id);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      for (uint64_t i = 0; i < 5000; ++i) {
        Job j = MakeJob(static_cast<uint64_t>(p) * 100000 + i);
        while (q.TryPush(j) != Admission::kOk) std::this_thread::yield();
      }
    });
  }
  for (auto& t : producers) t.join();
  q.Close();
  for (auto& t : workers) t.join();
  EXPECT_EQ(seen.size(), 10000u);
  for (uint64_t id : seen) EXPECT_EQ(seen.count(id), 1u);
}

}  // namespace
}  // namespace switchyard
