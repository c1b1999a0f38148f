// The load generator's breakdowns per mix entry and per client, and Jain's
// fairness index across clients, on outcomes recorded by hand: known counts
// in, known figures out (no server, no clock).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loadgen/bench_summary.h"
#include "loadgen/load_stats.h"

namespace switchyard {
namespace {

using nlohmann::json;

LoadPhase PhaseWithMix(const std::string& name, const std::string& spec) {
  LoadPhase p;
  p.name = name;
  auto mix = RequestMix::Parse(spec);
  EXPECT_TRUE(mix.ok()) << mix.status().ToString();
  p.mix = std::move(mix).value();
  return p;
}

// Records `n` outcomes of entry `entry` of `phase`'s mix.
void Record(LoadStats& stats, size_t phase_index, const LoadPhase& phase, size_t entry, int n, int status,
            int64_t latency_us) {
  const RequestKind kind = phase.mix.entries()[entry].kind;
  for (int i = 0; i < n; ++i) stats.RecordOutcome(phase_index, 0, kind, entry, latency_us, status, nullptr);
}

TEST(LoadBreakdownTest, JainIndexOfKnownShares) {
  EXPECT_DOUBLE_EQ(*JainIndex({1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(*JainIndex({7, 7, 7}), 1.0);
  EXPECT_DOUBLE_EQ(*JainIndex({1, 0}), 0.5);
  EXPECT_DOUBLE_EQ(*JainIndex({5, 0, 0, 0}), 0.25);
  EXPECT_DOUBLE_EQ(*JainIndex({3, 1}), 0.8);
  EXPECT_DOUBLE_EQ(*JainIndex({1, 2, 3}), 36.0 / 42.0);
  EXPECT_FALSE(JainIndex({}).has_value());
  EXPECT_FALSE(JainIndex({4}).has_value());
  EXPECT_FALSE(JainIndex({0, 0}).has_value());
}

TEST(LoadBreakdownTest, SummaryBreaksDownByEntryAndClient) {
  LoadPhase phase = PhaseWithMix("run", "cpu:client=a:label=heavy:3,cpu:iters=5:client=b:priority=1,sleep:ms=1");
  LoadResult r;
  r.stats = LoadStats(1);
  r.stats.NameEntries(0, phase.mix);
  r.measured_us = 2'000'000;
  r.phase_us = {2'000'000};
  Record(r.stats, 0, phase, 0, 60, 200, 1000);
  Record(r.stats, 0, phase, 0, 4, 504, 9000);
  Record(r.stats, 0, phase, 1, 20, 200, 3000);
  Record(r.stats, 0, phase, 1, 2, 503, 10);
  Record(r.stats, 0, phase, 2, 10, 200, 500);
  r.stats.RecordOutcome(0, 0, RequestKind::kSleep, 2, 10'000'000, 0, "timeout");

  RunDescription run;
  run.url = "http://127.0.0.1:1/score";
  run.phases = {phase};
  json j = SummaryJson(run, r);
  ASSERT_TRUE(j["entries"].is_object());
  ASSERT_EQ(j["entries"].size(), 3u);
  const json& heavy = j["entries"]["heavy"];
  EXPECT_EQ(heavy["spec"], "cpu:iters=1000:client=a");
  EXPECT_EQ(heavy["client"], "a");
  EXPECT_EQ(heavy["requests"], 64);
  EXPECT_EQ(heavy["ok"], 60);
  EXPECT_EQ(heavy["errors"], 4);
  EXPECT_EQ(heavy["expired_504"], 4);
  EXPECT_EQ(heavy["rejected_503"], 0);
  EXPECT_DOUBLE_EQ(heavy["goodput_rps"].get<double>(), 30.0);
  EXPECT_DOUBLE_EQ(heavy["throughput_rps"].get<double>(), 32.0);
  // Latency of the 2xx answers only: the slow 504s are not in it.
  EXPECT_EQ(heavy["ok_latency_us"]["count"], 60);
  EXPECT_NEAR(heavy["ok_latency_us"]["p99"].get<double>(), 1000, 5);
  EXPECT_EQ(heavy["ok_latency_us"]["max"], 1000);
  const json& b_entry = j["entries"]["cpu:iters=5:client=b:priority=1"];
  EXPECT_EQ(b_entry["rejected_503"], 2);
  EXPECT_EQ(b_entry["expired_504"], 0);
  EXPECT_EQ(b_entry["errors_by_status"], (json{{"503", 2}}));
  const json& sleep = j["entries"]["sleep:ms=1"];
  EXPECT_EQ(sleep["client"], "");
  EXPECT_EQ(sleep["errors_by_status"], (json{{"timeout", 1}}));

  ASSERT_EQ(j["clients"].size(), 3u);
  EXPECT_EQ(j["clients"]["a"]["ok"], 60);
  EXPECT_EQ(j["clients"]["b"]["ok"], 20);
  EXPECT_DOUBLE_EQ(j["clients"]["b"]["goodput_rps"].get<double>(), 10.0);
  EXPECT_EQ(j["clients"][""]["requests"], 11);
  // a 30 ok/s, b 10 ok/s: (30 + 10)^2 / (2 (900 + 100)) = 0.8; the requests
  // without a client are no client of the fairness question.
  EXPECT_DOUBLE_EQ(j["jain_index"].get<double>(), 0.8);
  // The totals agree with the parts.
  EXPECT_EQ(j["requests"], 64 + 22 + 11);
  EXPECT_EQ(j["errors_by_status"], (json{{"503", 2}, {"504", 4}, {"timeout", 1}}));

  const std::string table = HumanSummary(run, j);
  EXPECT_NE(table.find("per entry"), std::string::npos) << table;
  EXPECT_NE(table.find("heavy"), std::string::npos) << table;
  EXPECT_NE(table.find("per client"), std::string::npos) << table;
  EXPECT_NE(table.find("(none)"), std::string::npos) << table;
  EXPECT_NE(table.find("Jain's fairness index of ok/s across clients: 0.8000"), std::string::npos) << table;
}

TEST(LoadBreakdownTest, ThreadsAndPhasesMergeByLabelAndClient) {
  // Two phases whose mixes share the label "x" and the clients a and b at
  // other indices; two generator threads each record part of them.
  std::vector<LoadPhase> phases = {PhaseWithMix("one", "cpu:client=a:label=x,io:client=b"),
                                   PhaseWithMix("two", "sleep:ms=1:client=b,cpu:client=a:label=x,get")};
  LoadStats threads[2] = {LoadStats(2), LoadStats(2)};
  for (LoadStats& t : threads) {
    for (size_t i = 0; i < phases.size(); ++i) t.NameEntries(i, phases[i].mix);
  }
  Record(threads[0], 0, phases[0], 0, 3, 200, 100);
  Record(threads[1], 0, phases[0], 0, 2, 200, 100);
  Record(threads[1], 0, phases[0], 1, 4, 200, 100);
  Record(threads[0], 1, phases[1], 0, 5, 200, 100);
  Record(threads[1], 1, phases[1], 1, 7, 504, 100);
  Record(threads[0], 1, phases[1], 2, 1, 200, 100);

  LoadResult r;
  r.stats = LoadStats(2);
  for (const LoadStats& t : threads) r.stats.Merge(t);
  r.measured_us = 1'000'000;
  r.phase_us = {500'000, 500'000};
  const PhaseStats total = r.stats.Total();
  ASSERT_EQ(total.entries.size(), 4u);  // x, io:..., sleep:..., get
  EXPECT_EQ(total.entries[0].name, "x");
  EXPECT_EQ(total.entries[0].requests, 12u);
  EXPECT_EQ(total.entries[0].ok, 5u);
  EXPECT_EQ(total.entries[0].errors_of("504"), 7u);
  const std::vector<GroupStats> clients = total.Clients();
  ASSERT_EQ(clients.size(), 3u);  // a, b, ""
  EXPECT_EQ(clients[0].name, "a");
  EXPECT_EQ(clients[0].requests, 12u);
  EXPECT_EQ(clients[1].name, "b");
  EXPECT_EQ(clients[1].ok, 9u);
  EXPECT_EQ(clients[2].name, "");
  EXPECT_EQ(clients[2].ok, 1u);

  RunDescription run;
  run.url = "http://127.0.0.1:1/score";
  run.phases = phases;
  json j = SummaryJson(run, r);
  EXPECT_EQ(j["entries"]["x"]["requests"], 12);
  EXPECT_EQ(j["entries"]["x"]["spec"], "cpu:iters=1000:client=a");
  EXPECT_EQ(j["clients"]["b"]["ok"], 9);
  EXPECT_DOUBLE_EQ(j["jain_index"].get<double>(), 14.0 * 14.0 / (2.0 * (25 + 81)));  // a 5/s, b 9/s
  // Each phase has its own breakdown.
  ASSERT_EQ(j["phases"].size(), 2u);
  EXPECT_EQ(j["phases"][0]["entries"]["x"]["requests"], 5);
  EXPECT_EQ(j["phases"][0]["entries"].size(), 2u);
  EXPECT_EQ(j["phases"][1]["entries"]["x"]["expired_504"], 7);
  EXPECT_EQ(j["phases"][1]["clients"]["a"]["ok"], 0);
  EXPECT_DOUBLE_EQ(j["phases"][0]["jain_index"].get<double>(), 81.0 / (2.0 * (25 + 16)));  // 10/s and 8/s
  EXPECT_DOUBLE_EQ(j["phases"][1]["jain_index"].get<double>(), 0.5);  // a nothing, b 10/s
}

TEST(LoadBreakdownTest, ALabelGivenToTwoClientsInTwoPhasesKeepsTheClientsApart) {
  std::vector<LoadPhase> phases = {PhaseWithMix("one", "cpu:client=a:label=x"),
                                   PhaseWithMix("two", "cpu:client=b:label=x")};
  LoadResult r;
  r.stats = LoadStats(2);
  for (size_t i = 0; i < phases.size(); ++i) r.stats.NameEntries(i, phases[i].mix);
  Record(r.stats, 0, phases[0], 0, 4, 200, 100);
  Record(r.stats, 1, phases[1], 0, 2, 200, 100);
  r.measured_us = 1'000'000;
  r.phase_us = {500'000, 500'000};
  RunDescription run;
  run.url = "http://127.0.0.1:1/score";
  run.phases = phases;
  json j = SummaryJson(run, r);
  ASSERT_EQ(j["entries"].size(), 1u);
  EXPECT_EQ(j["entries"]["x"]["ok"], 6);
  EXPECT_EQ(j["clients"]["a"]["ok"], 4);
  EXPECT_EQ(j["clients"]["b"]["ok"], 2);
  EXPECT_DOUBLE_EQ(j["jain_index"].get<double>(), 36.0 / (2.0 * (16 + 4)));
}

TEST(LoadBreakdownTest, WithoutNamedClientsThereIsNoFairnessIndex) {
  LoadPhase phase = PhaseWithMix("run", "cpu,io:keys=3");
  LoadResult r;
  r.stats = LoadStats(1);
  r.stats.NameEntries(0, phase.mix);
  r.measured_us = 1'000'000;
  r.phase_us = {1'000'000};
  Record(r.stats, 0, phase, 0, 3, 200, 100);
  Record(r.stats, 0, phase, 1, 3, 200, 100);
  RunDescription run;
  run.url = "http://127.0.0.1:1/score";
  run.phases = {phase};
  json j = SummaryJson(run, r);
  EXPECT_TRUE(j["jain_index"].is_null());
  ASSERT_EQ(j["clients"].size(), 1u);
  EXPECT_EQ(j["clients"][""]["requests"], 6);
  EXPECT_EQ(j["entries"].size(), 2u);
  const std::string table = HumanSummary(run, j);
  EXPECT_NE(table.find("per entry"), std::string::npos) << table;
  EXPECT_EQ(table.find("per client"), std::string::npos) << table;
  EXPECT_EQ(table.find("Jain"), std::string::npos) << table;

  // One named client is not enough for an index either.
  LoadPhase one = PhaseWithMix("run", "cpu:client=solo");
  LoadResult r1;
  r1.stats = LoadStats(1);
  r1.stats.NameEntries(0, one.mix);
  r1.measured_us = 1'000'000;
  Record(r1.stats, 0, one, 0, 3, 200, 100);
  run.phases = {one};
  EXPECT_TRUE(SummaryJson(run, r1)["jain_index"].is_null());
}

}  // namespace
}  // namespace switchyard
