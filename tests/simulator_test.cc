// The simulator: hand-computed schedules, each policy's property on
// adversarial traces in virtual time, and traces that are malformed.
#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <utility>

#include "server_harness.h"
#include "trace/trace.h"

namespace switchyard {
namespace {

TraceRequest Req(int64_t arrival, int64_t service, std::string cost_class = "default", int64_t priority = 0) {
  TraceRequest r;
  r.arrival_us = arrival;
  r.service_us = service;
  r.cost_class = CostClass::Parse(cost_class);
  r.priority = priority;
  return r;
}

TEST(SimulatorTest, FifoAndLifoOnOneWorkerMatchTheHandComputedSchedule) {
  const std::vector<TraceRequest> trace = {Req(0, 10), Req(0, 20), Req(0, 30), Req(100, 5)};
  auto fifo = Simulate(trace, "fifo", {}, 1);
  ASSERT_TRUE(fifo.ok()) << fifo.status().ToString();
  EXPECT_EQ(fifo->wait_us, (std::vector<int64_t>{0, 10, 30, 0}));
  EXPECT_EQ(fifo->makespan_us, 105);
  EXPECT_DOUBLE_EQ(fifo->all.mean_wait_us, 10.0);
  EXPECT_EQ(fifo->all.max_wait_us, 30);
  EXPECT_EQ(fifo->all.completed, 4);
  // LIFO: all three arrive at 0, the last one pushed runs first.
  auto lifo = Simulate(trace, "lifo", {}, 1);
  ASSERT_TRUE(lifo.ok());
  EXPECT_EQ(lifo->wait_us, (std::vector<int64_t>{50, 30, 0, 0}));
}

TEST(SimulatorTest, WorkersRunInParallelAndUtilisationIsBusyOverAvailable) {
  const std::vector<TraceRequest> trace = {Req(0, 100), Req(0, 100), Req(0, 100), Req(0, 100)};
  auto two = Simulate(trace, "fifo", {}, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->wait_us, (std::vector<int64_t>{0, 0, 100, 100}));
  EXPECT_EQ(two->makespan_us, 200);
  EXPECT_DOUBLE_EQ(two->utilisation, 1.0);
}

TEST(SimulatorTest, PriorityPutsUrgentClassesFirstAndReportsPerClass) {
  // One worker busy until 10; then three wait: the urgent one goes first.
  const std::vector<TraceRequest> trace = {Req(0, 10, "slow", 3), Req(1, 10, "slow", 3),
                                           Req(2, 10, "fast", 1), Req(3, 10, "mid", 2)};
  PolicyOptions options;
  options.priority_levels = 3;
  auto r = Simulate(trace, "priority", options, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->wait_us, (std::vector<int64_t>{0, 29, 8, 17}));
  EXPECT_EQ(r->classes.size(), 3u);
  EXPECT_EQ(r->classes.at("slow").completed, 2);
  EXPECT_EQ(r->classes.at("fast").max_wait_us, 8);
}

TEST(SimulatorTest, AgingBoundsTheWaitOnAnAdversarialTrace) {
  // Urgent work exactly at capacity (2 workers x 1 ms, one arrival every
  // 0.5 ms) on top of a standing backlog of 10, so an urgent job is always
  // waiting; a low-class request arrives behind it. Without aging it waits
  // until the flood ends. With aging A it rises one class per A waited, and
  // once its class is the urgent jobs' it goes before those younger than it:
  // it waits at most (levels - 1) x A plus the backlog ahead (5 ms) plus one
  // service (1 ms; nothing is preempted).
  std::vector<TraceRequest> trace = {Req(1000, 1000, "low", 4)};
  for (int i = 0; i < 10; ++i) trace.push_back(Req(0, 1000, "urgent", 1));
  for (int64_t t = 0; t < 2'000'000; t += 500) trace.push_back(Req(t, 1000, "urgent", 1));
  PolicyOptions no_aging;
  no_aging.priority_levels = 4;
  auto starved = Simulate(trace, "priority", no_aging, 2);
  ASSERT_TRUE(starved.ok());
  EXPECT_GT(starved->wait_us[0], 1'900'000) << "the adversarial trace starves it without aging";

  PolicyOptions aging = no_aging;
  aging.aging_us = 20'000;
  auto bounded = Simulate(trace, "priority", aging, 2);
  ASSERT_TRUE(bounded.ok());
  EXPECT_LE(bounded->wait_us[0], 3 * 20'000 + 5'000 + 1'000);
  EXPECT_GE(bounded->wait_us[0], 3 * 20'000) << "it should not overtake before it has aged to the top class";
  EXPECT_EQ(bounded->all.completed, static_cast<int64_t>(trace.size()));
}

TEST(SimulatorTest, EveryPolicyCompletesEveryRequestDeterministically) {
  std::vector<TraceRequest> trace;
  for (int i = 0; i < 2000; ++i) {
    trace.push_back(Req(i * 37 % 5000, 50 + i * 13 % 400, i % 3 == 0 ? "a" : "b", i % 5));
  }
  for (const std::string& name : PolicyNames()) {
    auto first = Simulate(trace, name, {}, 3);
    auto second = Simulate(trace, name, {}, 3);
    ASSERT_TRUE(first.ok()) << name;
    EXPECT_EQ(first->all.completed, 2000) << name;
    EXPECT_EQ(first->wait_us, second->wait_us) << name;
    EXPECT_EQ(first->classes.at("a").completed + first->classes.at("b").completed, 2000) << name;
    for (size_t i = 0; i < trace.size(); ++i) ASSERT_GE(first->wait_us[i], 0) << name;
  }
}

// Fast, medium and slow requests (1, 5, 20 ms; 60/30/10 %) in a seeded
// Poisson stream at about 85% utilisation of 2 workers.
std::vector<TraceRequest> MixedTrace(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap_ms(0.85 * 2 / 4.1);
  std::uniform_real_distribution<double> pick(0, 1);
  std::vector<TraceRequest> trace;
  double t_ms = 0;
  for (int i = 0; i < n; ++i) {
    t_ms += gap_ms(rng);
    const double p = pick(rng);
    const auto [cost_class, service] = p < 0.6   ? std::pair{"fast", 1000}
                                       : p < 0.9 ? std::pair{"medium", 5000}
                                                 : std::pair{"slow", 20000};
    trace.push_back(Req(static_cast<int64_t>(t_ms * 1000), service, cost_class));
  }
  return trace;
}

TEST(SimulatorTest, SjfCutsTheMeanWaitOfAMixedWorkloadByAFifthAgainstFifo) {
  const auto trace = MixedTrace(50'000, 11);
  auto fifo = Simulate(trace, "fifo", {}, 2);
  auto sjf = Simulate(trace, "sjf", {}, 2);  // the online EWMA, as the server
  ASSERT_TRUE(fifo.ok());
  ASSERT_TRUE(sjf.ok());
  EXPECT_LE(sjf->all.mean_wait_us, 0.8 * fifo->all.mean_wait_us)
      << "fifo " << fifo->all.mean_wait_us << " us, sjf " << sjf->all.mean_wait_us << " us";
  EXPECT_LT(sjf->classes.at("fast").mean_wait_us, fifo->classes.at("fast").mean_wait_us);
  // The price: the slow class waits longer at the tail.
  EXPECT_GT(sjf->classes.at("slow").p99_wait_us, fifo->classes.at("slow").p99_wait_us);
  // A perfect predictor does no worse than the learned estimate here (the
  // classes are exact, so the EWMA converges to the truth).
  SimulationOptions oracle;
  oracle.prediction = SimulationOptions::Prediction::kOracle;
  auto best = Simulate(trace, "sjf", {}, 2, oracle);
  ASSERT_TRUE(best.ok());
  EXPECT_LE(best->all.mean_wait_us, sjf->all.mean_wait_us * 1.02);
}

TEST(SimulatorTest, MlfqPreemptsLongSliceableWorkSoShortWorkOvertakesIt) {
  // One worker; a 200 ms chain at 0 and a 1 ms request every 10 ms.
  std::vector<TraceRequest> trace = {Req(0, 200'000, "long")};
  for (int64_t t = 5'000; t < 400'000; t += 10'000) trace.push_back(Req(t, 1'000, "short"));
  PolicyOptions options;
  options.mlfq_quanta_us = {2'000, 10'000, 50'000};
  auto fifo = Simulate(trace, "fifo", options, 1);
  auto mlfq = Simulate(trace, "mlfq", options, 1);
  ASSERT_TRUE(fifo.ok());
  ASSERT_TRUE(mlfq.ok());
  EXPECT_GT(mlfq->preemptions, 3);
  EXPECT_EQ(mlfq->all.completed, static_cast<int64_t>(trace.size()));
  // A short request waits at most for the slice in progress.
  EXPECT_LE(mlfq->classes.at("short").max_wait_us, 50'000);
  EXPECT_LT(mlfq->classes.at("short").mean_wait_us, fifo->classes.at("short").mean_wait_us / 4);
  // Work is conserved: the same makespan, the long job finishes last.
  EXPECT_EQ(mlfq->makespan_us, fifo->makespan_us);
  EXPECT_GT(mlfq->wait_us[0], fifo->wait_us[0]);

  // An inference cannot be cut: the same trace as model requests is never preempted.
  for (auto& r : trace) r.cost_class = CostClass::Model(r.cost_class.text());
  auto unsliced = Simulate(trace, "mlfq", options, 1);
  ASSERT_TRUE(unsliced.ok());
  EXPECT_EQ(unsliced->preemptions, 0);
}

TEST(SimulatorTest, DrrSharesTheWorkersEquallyBetweenAClientAndOneSendingTenTimesMore) {
  // Both clients ask for more than half the single worker: light 0.6 of it,
  // heavy 6 times that. Served in arrival order, heavy takes ten elevenths.
  std::vector<TraceRequest> trace;
  for (int64_t t = 0; t < 1'000'000; t += 1'667) {
    TraceRequest r = Req(t, 1'000, "light");
    r.client = "light";
    trace.push_back(r);
  }
  for (int64_t t = 0; t < 1'000'000; t += 167) {
    TraceRequest r = Req(t, 1'000, "heavy");
    r.client = "heavy";
    trace.push_back(r);
  }
  auto fifo = Simulate(trace, "fifo", {}, 1);
  auto drr = Simulate(trace, "drr", {}, 1);
  ASSERT_TRUE(fifo.ok());
  ASSERT_TRUE(drr.ok());
  EXPECT_LT(fifo->jain_index, 0.7);
  EXPECT_GE(drr->jain_index, 0.95);
  EXPECT_LT(drr->clients.at("light").mean_wait_us, fifo->clients.at("light").mean_wait_us / 10);
  EXPECT_EQ(drr->all.completed, static_cast<int64_t>(trace.size()));
}

TEST(SimulatorTest, BadPolicyOrWorkersAreErrors) {
  const std::vector<TraceRequest> trace = {Req(0, 1)};
  EXPECT_FALSE(Simulate(trace, "lottery", {}, 1).ok());
  EXPECT_FALSE(Simulate(trace, "fifo", {}, 0).ok());
}

TEST(TraceTest, ParsesOptionalFieldsAndSkipsBlankLines) {
  auto t = ParseTrace(
      "{\"arrival_us\":5,\"service_us\":7}\n\n"
      "{\"arrival_us\":6,\"service_us\":8,\"class\":\"m\",\"client\":\"c1\",\"priority\":2,\"queue_us\":3}\n",
      "t.jsonl");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].cost_class.text(), "default");
  EXPECT_EQ((*t)[1].cost_class.text(), "m");
  EXPECT_EQ((*t)[1].client, "c1");
  EXPECT_EQ((*t)[1].priority, 2);
}

TEST(TraceTest, MalformedLinesAreNamedWithTheReason) {
  struct Bad {
    std::string text;
    std::string mentions;
  };
  const Bad cases[] = {
      {"{\"arrival_us\":1,\"service_us\":2}\nnot json\n", "t.jsonl:2: not a JSON object"},
      {"[1,2]\n", "t.jsonl:1: not a JSON object"},
      {"{\"arrival_us\":1}\n", "t.jsonl:1: missing 'service_us'"},
      {"{\"service_us\":1}\n", "missing 'arrival_us'"},
      {"{\"arrival_us\":-1,\"service_us\":2}\n", "'arrival_us' must be a non-negative integer"},
      {"{\"arrival_us\":1.5,\"service_us\":2}\n", "'arrival_us' must be a non-negative integer"},
      {"{\"arrival_us\":1,\"service_us\":2,\"class\":7}\n", "'class' must be a string"},
      {"{\"arrival_us\":1,\"service_us\":2,\"priority\":\"high\"}\n",
       "'priority' must be a non-negative integer"},
      {"{\"arrival_us\":1,\"service_us\":2", "t.jsonl:1: not a JSON object"},  // truncated
  };
  for (const Bad& c : cases) {
    auto t = ParseTrace(c.text, "t.jsonl");
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_NE(t.status().message().find(c.mentions), std::string::npos) << t.status().message();
  }
}

TEST(SimulateCliTest, WritesTheJsonSummaryAndRefusesABadTrace) {
  testing::TempDir dir;
  std::ofstream(dir.File("t.jsonl")) << "{\"arrival_us\":0,\"service_us\":10,\"class\":\"x\"}\n"
                                        "{\"arrival_us\":0,\"service_us\":10,\"class\":\"y\"}\n";
  auto ok = testing::RunSwitchyard({"simulate", "--trace", dir.File("t.jsonl"), "--policy", "fifo",
                                    "--workers", "1", "--json", dir.File("s.json")});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  std::ifstream in(dir.File("s.json"));
  auto j = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["completed"], 2);
  EXPECT_EQ(j["mean_wait_us"], 5.0);
  EXPECT_EQ(j["p99_wait_us"], 10);
  EXPECT_EQ(j["classes"]["y"]["p99_wait_us"], 10);

  std::ofstream(dir.File("bad.jsonl")) << "{\"arrival_us\":0,\"service_us\":10}\n{\"arrival_us\":0}\n";
  auto bad = testing::RunSwitchyard({"simulate", "--trace", dir.File("bad.jsonl")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("bad.jsonl:2: missing 'service_us'"), std::string::npos) << bad.output;
  auto unknown = testing::RunSwitchyard({"simulate", "--trace", dir.File("t.jsonl"), "--policy", "lottery"});
  EXPECT_NE(unknown.exit_code, 0);
}

TEST(SimulateCliTest, ReportsClientsAndJainAndTakesAnOraclePredictor) {
  testing::TempDir dir;
  std::ofstream(dir.File("t.jsonl"))
      << "{\"arrival_us\":0,\"service_us\":30,\"client\":\"a\",\"class\":\"x\"}\n"
         "{\"arrival_us\":0,\"service_us\":10,\"client\":\"b\",\"class\":\"y\"}\n"
         "{\"arrival_us\":0,\"service_us\":20,\"client\":\"a\",\"class\":\"z\"}\n";
  auto ok = testing::RunSwitchyard({"simulate", "--trace", dir.File("t.jsonl"), "--policy", "sjf",
                                    "--predictor", "oracle", "--workers", "1", "--json", dir.File("s.json")});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("Jain"), std::string::npos) << ok.output;
  std::ifstream in(dir.File("s.json"));
  auto j = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(j.is_object());
  // Shortest first with exact predictions: 10, 20, 30 -> waits 0, 10, 30.
  EXPECT_DOUBLE_EQ(j["mean_wait_us"].get<double>(), 40.0 / 3);
  EXPECT_EQ(j["clients"]["a"]["completed"], 2);
  EXPECT_TRUE(j["jain_index"].is_number());
  EXPECT_EQ(j["predictor"], "oracle");

  auto missing = testing::RunSwitchyard(
      {"simulate", "--trace", dir.File("t.jsonl"), "--policy", "sjf", "--predictor", dir.File("nope.json")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("nope.json"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace switchyard
