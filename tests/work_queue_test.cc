#include "executor/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include "policy/policy.h"
#include "workload/workload_runner.h"
#include "workload/sha256_chain.h"

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

TEST(WorkQueueTest, WithdrawHandsBackEveryQueuedJobInOrderAndCloses) {
  ManualClock clock;
  WorkQueue q(MakeFifoPolicy(), 10, clock);
  q.SetWaitBound(0, 1);
  for (uint64_t id = 1; id <= 3; ++id) {
    Job j = MakeJob(id);
    j.predicted_us = 1000;
    if (id == 2) j.deadline_us = 500;
    j.on_done = [](ScoreOutcome) { ADD_FAILURE() << "a withdrawn job's on_done ran"; };
    ASSERT_EQ(q.TryPush(j), Admission::kOk);
  }
  EXPECT_EQ(q.PredictedWaitUs(), 3000);
  std::vector<Job> taken = q.Withdraw();
  ASSERT_EQ(taken.size(), 3u);
  for (uint64_t i = 0; i < 3; ++i) EXPECT_EQ(taken[i].id, i + 1);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.PredictedWaitUs(), 0);  // the backlog went with them
  clock.Advance(1000);
  q.ExpireDue();  // job 2's deadline went with it too: nothing answered here
  Job late = MakeJob(4);
  EXPECT_EQ(q.TryPush(late), Admission::kClosed);
  EXPECT_FALSE(q.Pop().has_value());  // closed and empty: does not block
  EXPECT_TRUE(q.Withdraw().empty());
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

TEST(WorkQueueTest, AJobPastItsDeadlineIsAnsweredDeadlineExceededAndNeverHandedOut) {
  ManualClock clock(1'000);
  WorkQueue q(MakeFifoPolicy(), 10, clock);
  std::vector<ScoreOutcome> answered;
  Job late = MakeJob(1);
  late.arrival_us = 1'000;
  late.timeout_us = 500;
  late.deadline_us = 1'500;
  late.on_done = [&](ScoreOutcome o) { answered.push_back(std::move(o)); };
  Job patient = MakeJob(2);
  patient.on_done = [&](ScoreOutcome o) { answered.push_back(std::move(o)); };
  ASSERT_EQ(q.TryPush(late), Admission::kOk);
  ASSERT_EQ(q.TryPush(patient), Admission::kOk);
  clock.Set(1'499);
  q.ExpireDue();
  EXPECT_TRUE(answered.empty()) << "expired before its deadline";
  clock.Set(1'500);
  q.ExpireDue();
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0].status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(answered[0].status.message().find("not run"), std::string::npos) << answered[0].status.message();
  EXPECT_EQ(answered[0].queue_us, 500);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.TryPop()->id, 2u) << "the expired job is never handed out";
  EXPECT_FALSE(q.TryPop().has_value());
}

TEST(WorkQueueTest, TheBackgroundThreadAnswersAtTheDeadlineWhileNoWorkerPops) {
  // Real time: nobody pops, the deadline alone must answer the job.
  WorkQueue q(MakeFifoPolicy(), 10, SteadyClock::Instance());
  std::promise<ScoreOutcome> answered;
  Job job = MakeJob(1);
  job.arrival_us = SteadyClock::Now();
  job.timeout_us = 20'000;
  job.deadline_us = job.arrival_us + job.timeout_us;
  job.on_done = [&](ScoreOutcome o) { answered.set_value(std::move(o)); };
  ASSERT_EQ(q.TryPush(job), Admission::kOk);
  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "never expired";
  EXPECT_EQ(future.get().status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(q.size(), 0u);
}

TEST(WorkQueueTest, AWaitBoundRefusesNewcomersWhileThePredictedWaitExceedsIt) {
  ManualClock clock;
  WorkQueue q(MakeFifoPolicy(), 100, clock);
  q.SetWaitBound(5'000, 2);  // 5 ms over 2 workers
  auto job = [](uint64_t id) {
    Job j = MakeJob(id);
    j.predicted_us = 4'000;
    return j;
  };
  for (uint64_t i = 1; i <= 3; ++i) {
    Job j = job(i);
    ASSERT_EQ(q.TryPush(j), Admission::kOk) << i;  // waits of 0, 2 and 4 ms
  }
  EXPECT_EQ(q.PredictedWaitUs(), 6'000);
  Job refused = job(4);
  EXPECT_EQ(q.TryPush(refused), Admission::kOverloaded);
  EXPECT_EQ(refused.id, 4u) << "the caller keeps a refused job";
  ASSERT_TRUE(q.TryPop().has_value());
  EXPECT_EQ(q.PredictedWaitUs(), 4'000);
  EXPECT_EQ(q.TryPush(refused), Admission::kOk);
}

// Runs whatever the queue hands out until it is empty, as a worker would.
void RunUntilEmpty(WorkQueue& q, Sha256Chain& sha, int& runs) {
  while (auto job = q.TryPop()) {
    ++runs;
    ScoreOutcome outcome;
    if (job->request.mode == ScoreMode::kCpu) {
      outcome = RunCpuScore(sha, job->request);
    } else {
      outcome.result = std::to_string(job->request.sleep_ms);
    }
    outcome.service_us = 100;
    job->on_done(std::move(outcome));
  }
}

TEST(WorkQueueTest, MlfqRunsAChainInSlicesWhoseEndResultIsTheWholeChain) {
  ManualClock clock;
  PolicyOptions options;
  options.mlfq_quanta_us = {100, 100};
  WorkQueue q(MakeMlfqPolicy(options), 10, clock);
  Sha256Chain sha;
  std::optional<ScoreOutcome> answer;
  Job job = MakeJob(1);
  job.request.mode = ScoreMode::kCpu;
  job.request.iters = 1000;
  job.request.data = "seed";
  job.predicted_us = 10'000;  // 10 µs a hash: about 10 hashes a slice
  job.on_done = [&](ScoreOutcome o) { answer = std::move(o); };
  ASSERT_EQ(q.TryPush(job), Admission::kOk);
  int runs = 0;
  RunUntilEmpty(q, sha, runs);
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->status.ok());
  EXPECT_EQ(answer->result, "\"" + sha.ComputeHex("seed", 1000) + "\"");
  EXPECT_GT(runs, 5) << "it was not sliced";
  EXPECT_EQ(answer->service_us, 100 * runs) << "the service time of all slices";
}

TEST(WorkQueueTest, MlfqSlicesASleepAndAnswersWithWhatWasAskedFor) {
  ManualClock clock;
  PolicyOptions options;
  options.mlfq_quanta_us = {2000};
  WorkQueue q(MakeMlfqPolicy(options), 10, clock);
  Sha256Chain sha;
  std::optional<ScoreOutcome> answer;
  Job job = MakeJob(1);
  job.request.mode = ScoreMode::kSleep;
  job.request.sleep_ms = 7;
  job.on_done = [&](ScoreOutcome o) { answer = std::move(o); };
  ASSERT_EQ(q.TryPush(job), Admission::kOk);
  int runs = 0;
  RunUntilEmpty(q, sha, runs);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->result, "7");
  EXPECT_EQ(runs, 4) << "2 + 2 + 2 + 1 ms";
}

TEST(WorkQueueTest, ASliceThatFailsFailsTheWholeJobOnce) {
  ManualClock clock;
  PolicyOptions options;
  options.mlfq_quanta_us = {1000};
  WorkQueue q(MakeMlfqPolicy(options), 10, clock);
  int answers = 0;
  Job job = MakeJob(1);
  job.request.mode = ScoreMode::kSleep;
  job.request.sleep_ms = 5;
  job.on_done = [&](ScoreOutcome o) {
    ++answers;
    EXPECT_EQ(o.status.code(), StatusCode::kUnavailable);
  };
  ASSERT_EQ(q.TryPush(job), Admission::kOk);
  auto slice = q.TryPop();
  ASSERT_TRUE(slice.has_value());
  EXPECT_EQ(slice->request.sleep_ms, 1u);
  slice->on_done(ScoreOutcome{Unavailable("worker died"), "", 0, 0});
  EXPECT_EQ(answers, 1);
  EXPECT_EQ(q.size(), 0u) << "nothing requeued after a failure";
}

}  // namespace
}  // namespace switchyard
