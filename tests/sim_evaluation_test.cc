// The controller's evaluation in virtual time (sim/evaluation.h): the static
// winner of each phase of studies/adaptive_phases.toml, a controller that
// follows the shift without losing a request, determinism per seed, and the
// inputs it refuses.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "control/candidates.h"
#include "server_harness.h"
#include "sim/class_demands.h"
#include "sim/evaluation.h"
#include "sim/sim_workload.h"

namespace switchyard {
namespace {

using testing::RunSwitchyard;
using testing::TempDir;

// The demands of studies/adaptive_phases.toml's classes on this machine
// (docs/benchmarks.md: a SHA-256 step ~82 ns): 5,000 and 1,000,000 steps.
ClassDemands AdaptiveDemands() {
  ClassDemands d;
  d.Set(CostClass::Parse("cpu:2^12"), {380, 410, 440});
  d.Set(CostClass::Parse("cpu:2^19"), {85'000});
  return d;
}

std::vector<LoadPhase> AdaptivePhases(int64_t seconds) {
  auto phases = LoadPhasesFile(std::string(SWITCHYARD_SOURCE_DIR) + "/studies/adaptive_phases.toml");
  EXPECT_TRUE(phases.ok()) << phases.status().message();
  for (LoadPhase& p : *phases) p.duration_us = seconds * 1'000'000;
  return *phases;
}

std::vector<Candidate> AdaptiveCandidates() {
  auto c = LoadCandidates(std::string(SWITCHYARD_SOURCE_DIR) + "/studies/adaptive_candidates.toml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return *c;
}

EvaluationOptions TwoCores() {
  EvaluationOptions o;
  o.server.cores = 2;
  o.server.executor.io_threads = 2;
  o.threads = 2;
  return o;
}

TEST(SimEvaluationTest, ThreadsWinTheCpuHeavyTailAndAsyncTheSleeps) {
  auto w = PhasedWorkload(AdaptivePhases(5), 1, AdaptiveDemands());
  ASSERT_TRUE(w.ok()) << w.status().message();
  EvaluationOptions o = TwoCores();
  o.controllers = {};
  auto ev = Evaluate(*w, AdaptiveCandidates(), o);
  ASSERT_TRUE(ev.ok()) << ev.status().message();
  ASSERT_EQ(ev->oracle_pick.size(), 3u);
  EXPECT_EQ(ev->statics[ev->oracle_pick[0]].candidate.Label(), "threads/16/fifo");
  EXPECT_EQ(ev->statics[ev->oracle_pick[1]].candidate.executor(), ExecutorKind::kAsync);
  EXPECT_EQ(ev->statics[ev->oracle_pick[2]].candidate.Label(), "threads/16/fifo");
  // The sleep phase: 64 clients of 50 ms. async holds them all (64 / 50 ms =
  // 1280/s at ~50 ms), 16 threads hold 16 (320/s at ~200 ms).
  for (const StaticRun& s : ev->statics) {
    const PhaseFigures& sleep = s.run.phases[1];
    if (s.candidate.Label() == "async/fifo/offload2") {
      EXPECT_NEAR(sleep.ok_rps, 1280, 30);
      EXPECT_NEAR(sleep.p99_ms, 50, 1);
    }
    if (s.candidate.Label() == "threads/16/fifo") {
      EXPECT_NEAR(sleep.ok_rps, 320, 10);
      // 200 ms, and more in the phase's first second, where the CPU phase's
      // chains still hold workers.
      EXPECT_GE(sleep.p99_ms, 199);
      EXPECT_LE(sleep.p99_ms, 300);
    }
    EXPECT_EQ(s.run.lost, 0u) << s.candidate.Label();
  }
  EXPECT_EQ(ev->statics[ev->best_static].candidate.Label(), "threads/16/fifo");
}

TEST(SimEvaluationTest, AControllerFollowsTheShiftAndLosesNoRequest) {
  std::vector<LoadPhase> phases = AdaptivePhases(15);
  phases.resize(2);  // cpu heavy tail, then sleeps
  auto w = PhasedWorkload(phases, 1, AdaptiveDemands());
  ASSERT_TRUE(w.ok()) << w.status().message();
  std::vector<Candidate> candidates = AdaptiveCandidates();
  candidates.resize(2);  // threads/16, async with offload
  EvaluationOptions o = TwoCores();
  o.controllers = {"ucb"};
  auto ev = Evaluate(*w, candidates, o);
  ASSERT_TRUE(ev.ok()) << ev.status().message();
  const ControllerRun& c = ev->controllers.at(0);
  EXPECT_GE(c.run.switches, 1);
  // After the shift (15 s) it switches to async (what it does next is the
  // bandit's business: ucb's estimate of threads/16 from the CPU phase, an
  // order of magnitude above any sleep-phase reward, fades slowly).
  bool switched_after_shift = false;
  for (const ServingSegment& s : c.run.serving) {
    if (s.start_s >= 15 && s.candidate == "async/fifo/offload2") switched_after_shift = true;
  }
  EXPECT_TRUE(switched_after_shift);
  ASSERT_TRUE(c.adaptation.at(1).adapt_s.has_value());
  EXPECT_LE(*c.adaptation[1].adapt_s, 5.0);
  // Every request sent was answered exactly once.
  EXPECT_GT(c.run.sent, 10'000u);
  EXPECT_EQ(c.run.answered, c.run.sent);
  EXPECT_EQ(c.run.lost, 0u);
  EXPECT_EQ(c.run.duplicates, 0u);
}

// The settling window after each switch of a controller run in virtual time
// (its decisions file): how long each lasted, in seconds.
std::vector<double> SettlingAfterSwitches(bool settle_when_drained, const std::string& dir) {
  std::vector<LoadPhase> phases = AdaptivePhases(8);
  auto w = PhasedWorkload(phases, 1, AdaptiveDemands());
  EXPECT_TRUE(w.ok()) << w.status().message();
  EvaluationOptions o = TwoCores();
  o.controllers = {"ucb"};
  o.controller.settle_when_drained = settle_when_drained;
  o.decisions_dir = dir;
  auto ev = Evaluate(*w, AdaptiveCandidates(), o);
  EXPECT_TRUE(ev.ok()) << ev.status().message();
  if (!ev.ok()) return {};
  EXPECT_EQ(ev->controllers.at(0).run.lost, 0u);
  std::ifstream in(dir + "/decisions-ucb.jsonl");
  std::vector<nlohmann::json> ds;
  for (std::string line; std::getline(in, line);) ds.push_back(nlohmann::json::parse(line));
  std::vector<double> settling;
  for (size_t i = 0; i + 1 < ds.size(); ++i) {
    if (!ds[i]["switched"].get<bool>()) continue;
    EXPECT_EQ(ds[i + 1]["reason"], "settling") << i + 1;
    settling.push_back(ds[i + 1]["observed"]["seconds"].get<double>());
  }
  return settling;
}

TEST(SimEvaluationTest, TheSwitchsWindowLastsAsLongAsTheOldConfigurationDrains) {
  TempDir dir;
  const std::vector<double> drained = SettlingAfterSwitches(true, dir.path());
  ASSERT_GE(drained.size(), 3u);
  for (double s : drained) EXPECT_LT(s, 0.5);  // no backlog here outlasts half a window
  const std::vector<double> whole = SettlingAfterSwitches(false, dir.path());
  ASSERT_GE(whole.size(), 3u);
  for (double s : whole) EXPECT_DOUBLE_EQ(s, 1.0);  // --settle window: a whole window
}

TEST(SimEvaluationTest, RunsAreDeterministicPerSeed) {
  auto w = PhasedWorkload(AdaptivePhases(3), 1, AdaptiveDemands());
  ASSERT_TRUE(w.ok());
  EvaluationOptions o = TwoCores();
  o.controllers = {"ucb", "random"};
  auto summary = [&](uint64_t seed, unsigned threads) {
    EvaluationOptions s = o;
    s.run.seed = seed;
    s.threads = threads;
    auto ev = Evaluate(*w, AdaptiveCandidates(), s);
    EXPECT_TRUE(ev.ok());
    std::vector<double> out;
    for (const StaticRun& r : ev->statics) {
      for (const PhaseFigures& p : r.run.phases) out.insert(out.end(), {p.reward, p.p99_ms, double(p.ok)});
    }
    for (const ControllerRun& r : ev->controllers) {
      out.push_back(double(r.run.switches));
      for (const PhaseFigures& p : r.run.phases) out.insert(out.end(), {p.reward, double(p.ok)});
    }
    return out;
  };
  const auto a = summary(7, 1);
  EXPECT_EQ(a, summary(7, 2));  // however many threads run it
  EXPECT_NE(a, summary(8, 2));
}

TEST(SimEvaluationTest, DemandsAreDecontendedFromTheTrace) {
  std::vector<TraceRequest> trace;
  auto req = [](int64_t service, int64_t in_system, int64_t queue_length, const std::string& cost_class,
                int64_t status) {
    TraceRequest r;
    r.service_us = service;
    r.in_system = in_system;
    r.queue_length = queue_length;
    r.cost_class = CostClass::Parse(cost_class);
    r.status = status;
    return r;
  };
  // cpu:2^12: 3 alone — too few: every one scaled by 2 cores / running.
  trace.push_back(req(400, 0, 0, "cpu:2^12", 200));
  trace.push_back(req(1600, 7, 0, "cpu:2^12", 200));    // 8 running on 2 cores: 400 alone
  trace.push_back(req(800, 5, 2, "cpu:2^12", 200));     // 4 running: 400
  trace.push_back(req(99'999, 0, 0, "cpu:2^12", 503));  // refused: left out
  for (int i = 0; i < 6; ++i) trace.push_back(req(100, 1, 0, "cpu:2^6", 200));  // 2 running: alone
  trace.push_back(req(900, 9, 0, "cpu:2^6", 200));
  trace.push_back(req(50'000, 30, 0, "sleep:2^5", 200));  // a wait: as recorded
  auto d = ClassDemands::FromTrace(trace, 2);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->classes().at(CostClass::Parse("cpu:2^12")).source, "scaled");
  EXPECT_EQ(d->classes().at(CostClass::Parse("cpu:2^12")).samples_us, (std::vector<int64_t>{400, 400, 400}));
  EXPECT_EQ(d->classes().at(CostClass::Parse("cpu:2^6")).source, "uncontended");
  EXPECT_EQ(d->classes().at(CostClass::Parse("cpu:2^6")).samples_us, std::vector<int64_t>(6, 100));
  EXPECT_EQ(d->classes().at(CostClass::Parse("sleep:2^5")).samples_us, std::vector<int64_t>{50'000});
}

TEST(SimEvaluationTest, RefusesBadInputsNamingTheProblem) {
  TempDir dir;
  const std::string phases = dir.path() + "/p.toml";
  std::ofstream(phases) << "[[phase]]\nduration = \"2s\"\nconnections = 4\nmix = \"io\"\n";
  auto w = PhasedWorkload(phases, 1, AdaptiveDemands());
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find(phases + ":4"), std::string::npos) << w.status().message();
  EXPECT_NE(w.status().message().find("io"), std::string::npos) << w.status().message();

  std::ofstream(phases) << "[[phase]]\nduration = \"2s\"\nconnections = 4\nmix = \"get\"\n";
  EXPECT_FALSE(PhasedWorkload(phases, 1, AdaptiveDemands()).ok());
  EXPECT_FALSE(PhasedWorkload(AdaptivePhases(1), 0, AdaptiveDemands()).ok());  // repeat 0

  auto good = PhasedWorkload(AdaptivePhases(1), 1, AdaptiveDemands());
  ASSERT_TRUE(good.ok());
  EvaluationOptions o = TwoCores();
  o.controllers = {"oracle-of-delphi"};
  auto ev = Evaluate(*good, AdaptiveCandidates(), o);
  ASSERT_FALSE(ev.ok());
  EXPECT_NE(ev.status().message().find("round-robin"), std::string::npos) << ev.status().message();
  EXPECT_FALSE(Evaluate(*good, {}, TwoCores()).ok());

  TraceRequest refused;
  refused.cost_class = CostClass::Parse("cpu:2^12");
  refused.status = 503;
  EXPECT_FALSE(ClassDemands::FromTrace({refused}, 2).ok());
  EXPECT_FALSE(ReplayWorkload({}, 2).ok());

  // The command: exit status 2, the file and line named.
  const std::string trace = dir.path() + "/t.jsonl";
  std::ofstream(trace) << "{\"arrival_us\":0,\"service_us\":400,\"class\":\"cpu:2^12\"}\n";
  const std::string candidates = std::string(SWITCHYARD_SOURCE_DIR) + "/studies/adaptive_candidates.toml";
  std::ofstream(phases) << "[[phase]]\nduration = \"2s\"\nconnections = 4\nmix = \"io\"\n";
  auto r = RunSwitchyard(
      {"simulate-controller", "--trace", trace, "--phases", phases, "--candidates", candidates});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(phases + ":4"), std::string::npos) << r.output;
  std::ofstream(trace)
      << "{\"arrival_us\":0,\"service_us\":400,\"class\":\"cpu:2^12\"}\n{\"arrival_us\":-1}\n";
  r = RunSwitchyard({"simulate-controller", "--trace", trace, "--candidates", candidates});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(trace + ":2"), std::string::npos) << r.output;
  r = RunSwitchyard(
      {"simulate-controller", "--trace", trace, "--candidates", candidates, "--window", "soon"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(SimEvaluationTest, TheCommandReplaysATraceAndWritesTheSummary) {
  TempDir dir;
  const std::string trace = dir.path() + "/t.jsonl";
  {
    std::ofstream t(trace);
    for (int i = 0; i < 2000; ++i) {
      t << "{\"arrival_us\":" << i * 1000 << ",\"service_us\":" << (i % 10 == 0 ? 5000 : 300)
        << ",\"class\":\"" << (i % 10 == 0 ? "sleep:2^2" : "cpu:2^12") << "\",\"status\":200}\n";
    }
  }
  const std::string json = dir.path() + "/out.json";
  auto r = RunSwitchyard({"simulate-controller", "--trace", trace, "--candidates",
                          std::string(SWITCHYARD_SOURCE_DIR) + "/studies/adaptive_candidates.toml", "--cores",
                          "2", "--controllers", "ucb", "--json", json, "--decisions-dir", dir.path()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("best static overall"), std::string::npos) << r.output;
  std::ifstream decisions(dir.path() + "/decisions-ucb.jsonl");
  std::string first;
  ASSERT_TRUE(std::getline(decisions, first));
  EXPECT_NE(first.find("\"serving\""), std::string::npos) << first;
  std::ifstream in(json);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"pick\""), std::string::npos);
  EXPECT_NE(text.find("\"controllers\""), std::string::npos);

  // --compare: the live evaluation's winners (an adaptive study's results)
  // beside the simulator's.
  const std::string live = dir.path() + "/live.jsonl";
  std::ofstream(live)
      << R"({"schema":1,"study":"adaptive","cell":"static.no/such/candidate","repetition":1,)"
         R"("status":"ok","kind":"adaptive","config":{"role":"static","candidate":"no/such/candidate"},)"
         R"("phases":[{"name":"trace","start_s":0,"duration_s":1,"reward":5,"phase_reward":4}]})"
      << "\n";
  r = RunSwitchyard({"simulate-controller", "--trace", trace, "--candidates",
                     std::string(SWITCHYARD_SOURCE_DIR) + "/studies/adaptive_candidates.toml", "--cores", "2",
                     "--controllers", "none", "--compare", live});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("DIFFER"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0 of 1 phases agree"), std::string::npos) << r.output;
  std::ofstream(live) << R"({"runs":[]})"
                      << "\n";
  r = RunSwitchyard({"simulate-controller", "--trace", trace, "--candidates",
                     std::string(SWITCHYARD_SOURCE_DIR) + "/studies/adaptive_candidates.toml",
                     "--controllers", "none", "--compare", live});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--compare"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("live.jsonl"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace switchyard
