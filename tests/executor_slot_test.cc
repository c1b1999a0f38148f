// ExecutorSlot's canary: the deterministic split of new jobs by id, a
// canary's start, its end (its backlog back to the current executor) and
// its promotion (the current one's backlog moved to it), and a switch
// ending a running canary first.
#include "server/executor_slot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

#include "executor/executor_config.h"
#include "server/server_metrics.h"
#include "server/server_state.h"

namespace switchyard {
namespace {

TEST(CanarySplitTest, TakesItsShareOfIdsDeterministicallyAndSpreadsThem) {
  for (double share : {0.05, 0.1, 0.25, 0.5}) {
    int in = 0;
    int longest_run = 0, run = 0;
    constexpr int kIds = 200'000;
    for (uint64_t id = 1; id <= kIds; ++id) {
      const bool canary = InCanary(id, share);
      EXPECT_EQ(canary, InCanary(id, share));  // the same id, the same answer
      in += canary ? 1 : 0;
      run = canary ? run + 1 : 0;
      longest_run = std::max(longest_run, run);
    }
    EXPECT_NEAR(static_cast<double>(in) / kIds, share, 0.005) << share;
    EXPECT_LT(longest_run, 40) << share;  // consecutive ids are not handed out in blocks
  }
  for (uint64_t id = 1; id <= 1000; ++id) {
    EXPECT_FALSE(InCanary(id, 0));
    // A larger share takes every id a smaller one takes.
    if (InCanary(id, 0.1)) {
      EXPECT_TRUE(InCanary(id, 0.3));
    }
  }
}

ExecutorConfig Threads(int workers) {
  ExecutorConfig c;
  c.kind = ExecutorKind::kThreads;
  c.workers = workers;
  return c;
}

// A sleep job whose completion counts into `answered` (by id).
struct Answers {
  std::mutex mu;
  std::vector<int> count = std::vector<int>(64, 0);
  std::atomic<int> total{0};
  std::atomic<int> failed{0};
};

Job SleepJob(uint64_t id, uint32_t ms, Answers& answers) {
  Job j;
  j.id = id;
  j.request.mode = ScoreMode::kSleep;
  j.request.sleep_ms = ms;
  j.arrival_us = SteadyClock::Now();
  j.on_done = [&answers, id](ScoreOutcome outcome) {
    {
      std::lock_guard<std::mutex> lock(answers.mu);
      ++answers.count[id];
    }
    if (!outcome.status.ok()) ++answers.failed;
    ++answers.total;
  };
  return j;
}

class ExecutorSlotTest : public ::testing::Test {
 protected:
  ExecutorSlotTest() : slot_(env_, state_, metrics_) {}

  Status StartCanary(ExecutorConfig config, double share) {
    std::promise<Status> done;
    EXPECT_TRUE(slot_.RequestCanary(config, share, [&](Result<ExecutorSlot::Switched> r) {
      done.set_value(r.ok() ? Status::Ok() : r.status());
    }));
    return done.get_future().get();
  }
  Status EndCanary(bool promote) {
    std::promise<Status> done;
    EXPECT_TRUE(slot_.RequestEndCanary(promote, [&](Status s) { done.set_value(std::move(s)); }));
    return done.get_future().get();
  }
  void WaitFor(Answers& answers, int n) {
    for (int i = 0; i < 2000 && answers.total.load() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  ExecutorEnv env_;
  ServerState state_;
  ServerMetrics metrics_;
  ExecutorSlot slot_;
};

TEST_F(ExecutorSlotTest, PickRoutesTheCanarysShareWhileItRunsAndEverythingElseToTheCurrentOne) {
  ASSERT_TRUE(slot_.Start(Threads(1)).ok());
  EXPECT_EQ(slot_.Canary(), nullptr);
  for (uint64_t id = 1; id <= 100; ++id) EXPECT_FALSE(slot_.Pick(id).canary);
  ASSERT_TRUE(StartCanary(Threads(2), 0.25).ok());
  std::shared_ptr<Executor> canary = slot_.Canary();
  ASSERT_NE(canary, nullptr);
  EXPECT_EQ(canary->config().workers, 2);
  int in = 0;
  for (uint64_t id = 1; id <= 10'000; ++id) {
    ExecutorSlot::Route r = slot_.Pick(id);
    EXPECT_EQ(r.canary, InCanary(id, 0.25));
    EXPECT_EQ(r.executor, r.canary ? canary : slot_.Current());
    in += r.canary ? 1 : 0;
  }
  EXPECT_NEAR(in / 10'000.0, 0.25, 0.02);
  ASSERT_TRUE(EndCanary(false).ok());
  EXPECT_EQ(slot_.Canary(), nullptr);
  EXPECT_EQ(slot_.Current()->config().workers, 1);  // not promoted
  EXPECT_FALSE(EndCanary(false).ok());               // none runs now
  slot_.StopSwitching();
  slot_.Close()->Drain();
}

// One canary worker busy and three jobs queued behind it: ending the canary
// sends the three to the current executor; each of the four is answered
// once.
TEST_F(ExecutorSlotTest, AnEndedCanarysBacklogGoesBackToTheCurrentExecutor) {
  ASSERT_TRUE(slot_.Start(Threads(4)).ok());
  ASSERT_TRUE(StartCanary(Threads(1), 0.5).ok());
  Answers answers;
  std::shared_ptr<Executor> canary = slot_.Canary();
  for (uint64_t id = 1; id <= 4; ++id) {
    Job j = SleepJob(id, 300, answers);
    ASSERT_EQ(canary->Submit(j), Admission::kOk);
  }
  for (int i = 0; i < 200 && canary->queued() != 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(canary->queued(), 3u);
  ASSERT_TRUE(EndCanary(false).ok());
  EXPECT_EQ(metrics_.moved_jobs.load(), 3u);
  WaitFor(answers, 4);
  EXPECT_EQ(answers.total.load(), 4);
  EXPECT_EQ(answers.failed.load(), 0);
  for (uint64_t id = 1; id <= 4; ++id) EXPECT_EQ(answers.count[id], 1) << id;
  EXPECT_EQ(canary->queued(), 0u);
  slot_.StopSwitching();
  slot_.Close()->Drain();
}

// Promoted, the canary becomes current with no restart, and the old
// current executor's backlog moves to it.
TEST_F(ExecutorSlotTest, APromotedCanaryServesEverythingAndTakesTheBacklog) {
  ASSERT_TRUE(slot_.Start(Threads(1)).ok());
  ASSERT_TRUE(StartCanary(Threads(4), 0.1).ok());
  std::shared_ptr<Executor> canary = slot_.Canary();
  std::shared_ptr<Executor> old = slot_.Current();
  Answers answers;
  for (uint64_t id = 1; id <= 4; ++id) {
    Job j = SleepJob(id, 300, answers);
    ASSERT_EQ(old->Submit(j), Admission::kOk);
  }
  for (int i = 0; i < 200 && old->queued() != 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(EndCanary(true).ok());
  EXPECT_EQ(slot_.Current(), canary);
  EXPECT_EQ(slot_.Canary(), nullptr);
  for (uint64_t id = 1; id <= 100; ++id) EXPECT_EQ(slot_.Pick(id).executor, canary);
  EXPECT_EQ(metrics_.moved_jobs.load(), 3u);
  EXPECT_EQ(metrics_.reconfigurations.load(), 1u);
  WaitFor(answers, 4);
  for (uint64_t id = 1; id <= 4; ++id) EXPECT_EQ(answers.count[id], 1) << id;
  slot_.StopSwitching();
  slot_.Close()->Drain();
}

// A switch (POST /admin/config) while a canary runs ends the canary first:
// afterwards no canary, the switch's configuration current, and the jobs
// queued in the canary answered once.
TEST_F(ExecutorSlotTest, ASwitchEndsARunningCanaryFirst) {
  ASSERT_TRUE(slot_.Start(Threads(1)).ok());
  ASSERT_TRUE(StartCanary(Threads(1), 0.5).ok());
  std::shared_ptr<Executor> canary = slot_.Canary();
  Answers answers;
  for (uint64_t id = 1; id <= 3; ++id) {
    Job j = SleepJob(id, 200, answers);
    ASSERT_EQ(canary->Submit(j), Admission::kOk);
  }
  std::promise<Status> switched;
  ASSERT_TRUE(slot_.RequestSwitch(Threads(3), [&](Result<ExecutorSlot::Switched> r) {
    switched.set_value(r.ok() ? Status::Ok() : r.status());
  }));
  ASSERT_TRUE(switched.get_future().get().ok());
  EXPECT_EQ(slot_.Canary(), nullptr);
  EXPECT_EQ(slot_.Current()->config().workers, 3);
  WaitFor(answers, 3);
  for (uint64_t id = 1; id <= 3; ++id) EXPECT_EQ(answers.count[id], 1) << id;
  EXPECT_EQ(answers.failed.load(), 0);
  slot_.StopSwitching();
  slot_.Close()->Drain();
}

TEST_F(ExecutorSlotTest, ACanaryThatCannotStartChangesNothing) {
  ASSERT_TRUE(slot_.Start(Threads(1)).ok());
  ExecutorConfig bad = Threads(1);
  bad.policy = "lottery";
  Status s = StartCanary(bad, 0.1);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(slot_.Canary(), nullptr);
  EXPECT_EQ(slot_.Current()->config().workers, 1);
  slot_.StopSwitching();
  slot_.Close()->Drain();
}

}  // namespace
}  // namespace switchyard
