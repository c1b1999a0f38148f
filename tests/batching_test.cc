// Dynamic batching in the queue and around it, on a manual clock: which
// queued jobs a batch takes, when a held batch is handed out, and how a
// batch's outcome is split back to its members.
#include "executor/batching.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "executor/work_queue.h"
#include "model/tensor.h"
#include "policy/policy.h"

namespace switchyard {
namespace {

// An infer job of `rows` rows of a [rows, 2] FP32 input whose values are
// id*10 + row*2 + column, under `key`.
Job BatchJob(uint64_t id, const std::string& key, int64_t rows, std::shared_ptr<const BatchRules> rules,
             int64_t arrival_us = 0) {
  Job j;
  j.id = id;
  j.arrival_us = arrival_us;
  j.request.mode = ScoreMode::kInfer;
  j.request.model = "m";
  j.batch_key = key;
  j.batch_rows = rows;
  j.batch_rules = std::move(rules);
  InferPayload payload;
  HostTensor t;
  t.name = "INPUT__0";
  t.shape = {rows, 2};
  for (int64_t r = 0; r < rows; ++r) {
    for (int c = 0; c < 2; ++c) {
      const float v = static_cast<float>(id * 10 + static_cast<uint64_t>(r * 2 + c));
      t.bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
  }
  payload.inputs.push_back(std::move(t));
  j.request.data = EncodeInferPayload(payload);
  return j;
}

std::shared_ptr<const BatchRules> Rules(int64_t max_rows, int64_t delay_us,
                                        std::vector<int64_t> preferred = {}) {
  auto r = std::make_shared<BatchRules>();
  r->max_rows = max_rows;
  r->max_queue_delay_us = delay_us;
  r->preferred_rows = std::move(preferred);
  return r;
}

std::vector<float> Floats(const std::string& bytes) {
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

// The stacked input of a handed-out batch job.
HostTensor StackedInput(const Job& batch) {
  auto payload = DecodeInferPayload(batch.request.data);
  EXPECT_TRUE(payload.ok()) << payload.status().ToString();
  return payload.ok() ? payload->inputs.at(0) : HostTensor{};
}

TEST(BatchingQueueTest, ABatchTakesQueuedJobsOfItsKeyUpToTheRows) {
  ManualClock clock(1000);
  auto rules = Rules(4, 0);
  WorkQueue q(MakeFifoPolicy(), 100, clock);
  for (Job j : {BatchJob(1, "a", 1, rules), BatchJob(2, "b", 1, rules), BatchJob(3, "a", 2, rules),
                BatchJob(4, "a", 2, rules), BatchJob(5, "a", 1, rules)}) {
    ASSERT_EQ(q.TryPush(j), Admission::kOk);
  }
  // 1 leads; 3 (2 rows) joins; 4 would make 5 rows; 5 fills the 4th row.
  auto first = q.TryPop();
  ASSERT_TRUE(first.has_value());
  HostTensor in = StackedInput(*first);
  EXPECT_EQ(in.shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(Floats(in.bytes), (std::vector<float>{10, 11, 30, 31, 32, 33, 50, 51}));
  // Key b never joins key a; 4 runs next, in its own batch.
  auto second = q.TryPop();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(StackedInput(*second).shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(Floats(StackedInput(*second).bytes), (std::vector<float>{20, 21}));
  auto third = q.TryPop();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(Floats(StackedInput(*third).bytes), (std::vector<float>{40, 41, 42, 43}));
  EXPECT_FALSE(q.TryPop().has_value());
  EXPECT_EQ(q.size(), 0u);
}

TEST(BatchingQueueTest, AHeldBatchWaitsForItsDelayOrAPreferredSize) {
  ManualClock clock(1000);
  auto rules = Rules(8, 2000, {4});
  WorkQueue q(MakeFifoPolicy(), 100, clock);
  Job a = BatchJob(1, "k", 1, rules, 1000);
  ASSERT_EQ(q.TryPush(a), Admission::kOk);
  // One row of a preferred 4: held, still counted as queued; other work runs.
  EXPECT_FALSE(q.TryPop().has_value());
  EXPECT_EQ(q.size(), 1u);
  Job plain;
  plain.id = 9;
  ASSERT_EQ(q.TryPush(plain), Admission::kOk);
  auto other = q.TryPop();
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->id, 9u);
  clock.Advance(1999);
  EXPECT_FALSE(q.TryPop().has_value()) << "1 us before the delay ends";
  clock.Advance(1);
  auto due = q.TryPop();
  ASSERT_TRUE(due.has_value()) << "the oldest member has waited max_queue_delay_us";
  EXPECT_EQ(StackedInput(*due).shape[0], 1);

  // A preferred size releases the batch at once.
  for (uint64_t id = 2; id <= 4; ++id) {
    Job j = BatchJob(id, "k", 1, rules, clock.NowMicros());
    ASSERT_EQ(q.TryPush(j), Admission::kOk);
    EXPECT_FALSE(q.TryPop().has_value());
  }
  Job fourth = BatchJob(5, "k", 1, rules, clock.NowMicros());
  ASSERT_EQ(q.TryPush(fourth), Admission::kOk);
  auto preferred = q.TryPop();
  ASSERT_TRUE(preferred.has_value());
  EXPECT_EQ(StackedInput(*preferred).shape[0], 4);
  EXPECT_EQ(q.size(), 0u);
}

TEST(BatchingQueueTest, AnExpiredJobNeverJoinsAndCloseReleasesHeldBatches) {
  ManualClock clock(1000);
  auto rules = Rules(8, 5000);
  WorkQueue q(MakeFifoPolicy(), 100, clock);
  int expired = 0;
  Job late = BatchJob(1, "k", 1, rules, 1000);
  late.deadline_us = 1500;
  late.on_done = [&](ScoreOutcome o) {
    EXPECT_EQ(o.status.code(), StatusCode::kDeadlineExceeded);
    ++expired;
  };
  Job keeper = BatchJob(2, "k", 1, rules, 1000);
  ASSERT_EQ(q.TryPush(late), Admission::kOk);
  ASSERT_EQ(q.TryPush(keeper), Admission::kOk);
  EXPECT_FALSE(q.TryPop().has_value());  // both held, waiting for 5 ms
  clock.Advance(600);
  q.ExpireDue();
  EXPECT_EQ(expired, 1);
  EXPECT_EQ(q.size(), 1u);
  q.Close();
  auto released = q.TryPop();
  ASSERT_TRUE(released.has_value()) << "a closed queue hands out what it held";
  EXPECT_EQ(Floats(StackedInput(*released).bytes), (std::vector<float>{20, 21}));
}

TEST(BatchingQueueTest, TheBytesLimitCapsABatch) {
  ManualClock clock;
  auto rules = Rules(8, 0);
  WorkQueue q(MakeFifoPolicy(), 100, clock);
  Job one = BatchJob(1, "k", 1, rules);
  q.SetBatchBytesLimit(one.request.data.size() * 2);
  ASSERT_EQ(q.TryPush(one), Admission::kOk);
  for (uint64_t id = 2; id <= 3; ++id) {
    Job j = BatchJob(id, "k", 1, rules);
    ASSERT_EQ(q.TryPush(j), Admission::kOk);
  }
  EXPECT_EQ(StackedInput(*q.TryPop()).shape[0], 2);
  EXPECT_EQ(StackedInput(*q.TryPop()).shape[0], 1);
}

TEST(BatchingQueueTest, TheConfigurationsOverridesCapTheRowsAndReplaceTheDelay) {
  ManualClock clock(1000);
  auto rules = Rules(8, 5000, {4});
  {
    // max_batch 2, a delay of 100 us instead of the model's 5 ms.
    WorkQueue q(MakeFifoPolicy(), 100, clock);
    q.SetBatchOverrides(2, 100);
    for (uint64_t id = 1; id <= 3; ++id) {
      Job j = BatchJob(id, "k", 1, rules, clock.NowMicros());
      ASSERT_EQ(q.TryPush(j), Admission::kOk);
    }
    auto capped = q.TryPop();
    ASSERT_TRUE(capped.has_value()) << "2 rows reach the cap: handed out without waiting";
    EXPECT_EQ(StackedInput(*capped).shape[0], 2);
    EXPECT_FALSE(q.TryPop().has_value()) << "the third waits for the delay";
    clock.Advance(99);
    EXPECT_FALSE(q.TryPop().has_value());
    clock.Advance(1);
    auto due = q.TryPop();
    ASSERT_TRUE(due.has_value()) << "the override's 100 us, not the model's 5 ms";
    EXPECT_EQ(Floats(StackedInput(*due).bytes), (std::vector<float>{30, 31}));
  }
  {
    // max_batch 1: every job alone at once, even a 3-row one beyond the cap.
    WorkQueue q(MakeFifoPolicy(), 100, clock);
    q.SetBatchOverrides(1, -1);
    Job one = BatchJob(1, "k", 1, rules, clock.NowMicros());
    Job three = BatchJob(2, "k", 3, rules, clock.NowMicros());
    ASSERT_EQ(q.TryPush(one), Admission::kOk);
    ASSERT_EQ(q.TryPush(three), Admission::kOk);
    EXPECT_EQ(StackedInput(*q.TryPop()).shape[0], 1);
    EXPECT_EQ(StackedInput(*q.TryPop()).shape[0], 3);
    EXPECT_EQ(q.size(), 0u);
  }
  {
    // A cap above the model's max_batch_size keeps the model's.
    WorkQueue q(MakeFifoPolicy(), 100, clock);
    q.SetBatchOverrides(64, 0);
    for (uint64_t id = 1; id <= 10; ++id) {
      Job j = BatchJob(id, "k", 1, rules, clock.NowMicros());
      ASSERT_EQ(q.TryPush(j), Admission::kOk);
    }
    EXPECT_EQ(StackedInput(*q.TryPop()).shape[0], 8);
    EXPECT_EQ(StackedInput(*q.TryPop()).shape[0], 2) << "a delay of 0: no wait";
  }
}

TEST(BatchingQueueTest, ThePriorityPolicyPicksTheLeaderAndFillsMostUrgentFirst) {
  ManualClock clock;
  auto rules = Rules(2, 0);
  WorkQueue q(MakePriorityPolicy(PolicyOptions{}), 100, clock);
  Job low = BatchJob(1, "k", 1, rules);
  low.priority = 4;
  Job urgent = BatchJob(2, "k", 1, rules);
  urgent.priority = 1;
  Job middle = BatchJob(3, "k", 1, rules);
  middle.priority = 2;
  for (Job* j : {&low, &urgent, &middle}) ASSERT_EQ(q.TryPush(*j), Admission::kOk);
  auto batch = q.TryPop();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->id, 2u) << "the most urgent leads";
  EXPECT_EQ(Floats(StackedInput(*batch).bytes), (std::vector<float>{20, 21, 30, 31}));
}

TEST(StackBatchTest, OutputsAreSplitByRowsAndAFailureAnswersEachMemberOnce) {
  auto rules = Rules(8, 0);
  std::vector<ScoreOutcome> got(3);
  std::vector<int> calls(3, 0);
  std::vector<Job> members;
  for (uint64_t id = 1; id <= 3; ++id) {
    Job j = BatchJob(id, "k", id == 2 ? 2 : 1, rules, 100 * static_cast<int64_t>(id));
    j.on_done = [&, i = id - 1](ScoreOutcome o) {
      got[i] = std::move(o);
      ++calls[i];
    };
    members.push_back(std::move(j));
  }
  std::vector<Job> copy = members;
  Job batch = StackBatch(std::move(members));
  EXPECT_EQ(batch.arrival_us, 100);
  // The model doubles its input: [4,2] -> [4,2].
  HostTensor out = StackedInput(batch);
  std::vector<float> doubled = Floats(out.bytes);
  for (float& v : doubled) v *= 2;
  out.name = "OUTPUT__0";
  out.bytes.assign(reinterpret_cast<const char*>(doubled.data()), doubled.size() * sizeof(float));
  ScoreOutcome outcome;
  outcome.result = EncodeTensors({out});
  outcome.queue_us = 500;  // started at 600
  outcome.service_us = 1000;
  batch.on_done(std::move(outcome));
  EXPECT_EQ(calls, (std::vector<int>{1, 1, 1}));
  auto rows_of = [&](int i) { return Floats(DecodeTensors(got[i].result)->at(0).bytes); };
  EXPECT_EQ(rows_of(0), (std::vector<float>{20, 22}));
  EXPECT_EQ(rows_of(1), (std::vector<float>{40, 42, 44, 46}));
  EXPECT_EQ(rows_of(2), (std::vector<float>{60, 62}));
  EXPECT_EQ(DecodeTensors(got[1].result)->at(0).shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(got[0].queue_us, 500);
  EXPECT_EQ(got[1].queue_us, 400);
  EXPECT_EQ(got[2].queue_us, 300);
  EXPECT_TRUE(got[0].batch_leader);
  EXPECT_FALSE(got[1].batch_leader);
  EXPECT_EQ(got[2].batch_size, 3);
  EXPECT_EQ(got[2].batch_rows, 4);

  // An output without the batch's rows, and a failed inference: every
  // member gets the error, once.
  for (int round = 0; round < 2; ++round) {
    std::fill(calls.begin(), calls.end(), 0);
    Job again = StackBatch(copy);
    ScoreOutcome bad;
    if (round == 0) {
      HostTensor scalar;
      scalar.name = "OUTPUT__0";
      scalar.shape = {1};
      scalar.bytes.assign(4, '\0');
      bad.result = EncodeTensors({scalar});
    } else {
      bad.status = InvalidArgument("inference failed: boom");
    }
    again.on_done(std::move(bad));
    EXPECT_EQ(calls, (std::vector<int>{1, 1, 1}));
    for (const ScoreOutcome& o : got) {
      EXPECT_EQ(o.status.code(), StatusCode::kInvalidArgument);
      EXPECT_NE(o.status.message().find(round == 0 ? "for a batch of 4 rows" : "boom"), std::string::npos)
          << o.status.message();
    }
  }
}

}  // namespace
}  // namespace switchyard
