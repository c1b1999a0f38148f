// Adaptive studies (issue 7): the [adaptive] table and its bad inputs, the
// figures of a run (reward per second and per phase, lost requests,
// decisions on the load's timeline), the comparison the report draws
// (oracle, best static, ratios, time to adapt), and a tiny real study end to
// end with its report section.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/file_util.h"
#include "report/adaptive_results.h"
#include "report/adaptive_section.h"
#include "report/report.h"
#include "report/results.h"
#include "server_harness.h"
#include "study/adaptive_run.h"
#include "study/study_runner.h"
#include "study/study_spec.h"
#include "xml_check.h"

namespace switchyard {
namespace {

using nlohmann::json;

constexpr const char* kCandidates = R"(
[[candidate]]
executor = "threads"
workers = 2
policy = "fifo"

[[candidate]]
executor = "async"
offload = 1
)";

constexpr const char* kPhases = R"(
[[phase]]
name = "cpu"
duration = "2s"
connections = 2
mix = "cpu:iters=2000"

[[phase]]
name = "sleep"
duration = "2s"
connections = 8
mix = "sleep:ms=5"
)";

// A directory with the candidates and phases files beside the study file.
struct StudyDir {
  testing::TempDir dir;
  StudyDir() {
    std::ofstream(dir.File("c.toml")) << kCandidates;
    std::ofstream(dir.File("p.toml")) << kPhases;
  }
  std::string StudyFile() const { return dir.File("s.toml"); }
};

constexpr const char* kAdaptive = R"(
name = "a"
repetitions = 2
warmup = "500ms"
[adaptive]
candidates = "c.toml"
phases = "p.toml"
controllers = ["round-robin", "ucb", "random"]
window = "500ms"
io_threads = 3
args = ["--max-queue", "1000"]
)";

TEST(AdaptiveStudySpecTest, InterleavesStaticCandidatesAndControllersWithStableIdsAndServeFlags) {
  StudyDir d;
  auto spec = ParseStudy(kAdaptive, d.StudyFile());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->kind(), StudyKind::kAdaptive);
  EXPECT_TRUE(spec->Cells().empty());
  const AdaptiveMatrix& m = spec->adaptive();
  EXPECT_EQ(spec->repetitions, 2);
  EXPECT_EQ(spec->warmup_us, 500'000);
  EXPECT_EQ(m.window_us, 500'000);
  EXPECT_EQ(m.io_threads, 3);
  ASSERT_EQ(m.candidates.size(), 2u);
  ASSERT_EQ(m.phases.size(), 2u);
  EXPECT_EQ(m.candidates_path, d.dir.File("c.toml"));
  std::vector<std::string> ids;
  for (const auto& r : m.runs) ids.push_back(r.Id());
  EXPECT_EQ(ids,
            (std::vector<std::string>{"static.threads/2/fifo", "controller.round-robin",
                                      "static.async/fifo/offload1", "controller.ucb", "controller.random"}));
  EXPECT_FALSE(spec->UsesDb());

  EXPECT_EQ(m.ServeArgs(m.runs[2], "", 0),
            (std::vector<std::string>{"--executor", "async", "--policy", "fifo", "--offload", "1",
                                      "--io-threads", "3", "--max-queue", "1000"}));
  // A controller starts from the first candidate.
  EXPECT_EQ(
      m.ServeArgs(m.runs[1], "/w/d.jsonl", 1),
      (std::vector<std::string>{"--executor",        "threads",     "--policy",        "fifo",
                                "--workers",         "2",           "--io-threads",    "3",
                                "--controller",      "round-robin", "--candidates",    d.dir.File("c.toml"),
                                "--window",          "500ms",       "--decisions-out", "/w/d.jsonl",
                                "--controller-seed", "1",           "--max-queue",     "1000"}));
}

TEST(AdaptiveStudySpecTest, Defaults) {
  StudyDir d;
  auto spec =
      ParseStudy("name = \"a\"\n[adaptive]\ncandidates = \"c.toml\"\nphases = \"p.toml\"\n", d.StudyFile());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->kind(), StudyKind::kAdaptive);
  EXPECT_EQ(spec->adaptive().controllers,
            (std::vector<std::string>{"ucb", "contextual", "random", "round-robin"}));
  EXPECT_EQ(spec->adaptive().window_us, 1'000'000);
  EXPECT_EQ(spec->adaptive().runs.size(), 6u);
}

TEST(AdaptiveStudyCliTest, CheckListsTheRunsAndRefusesExtraFlagsServeWouldRefuse) {
  StudyDir d;
  std::ofstream(d.StudyFile()) << kAdaptive;
  auto ok = testing::RunSwitchyard({"study", d.StudyFile(), "--check"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("2 candidates + 3 controllers x 2 repetitions = 10 runs"), std::string::npos)
      << ok.output;
  EXPECT_NE(ok.output.find("controller.round-robin"), std::string::npos) << ok.output;

  std::ofstream(d.StudyFile()) << "name = \"a\"\n[adaptive]\ncandidates = \"c.toml\"\nphases = \"p.toml\"\n"
                                  "args = [\"--frobnicate\"]\n";
  auto bad = testing::RunSwitchyard({"study", d.StudyFile(), "--check"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("[adaptive] args"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("--frobnicate"), std::string::npos) << bad.output;
}

struct BadStudy {
  std::string text;
  std::string mentions;
};

TEST(AdaptiveStudySpecTest, RejectsBadFilesNamingFileLineAndKey) {
  StudyDir d;
  std::ofstream(d.dir.File("bad-candidates.toml")) << "[[candidate]]\nexecutor = \"threads\"\n";
  std::ofstream(d.dir.File("no-mix.toml")) << "[[phase]]\nduration = \"1s\"\nconnections = 1\n";
  std::ofstream(d.dir.File("no-duration.toml")) << "[[phase]]\nmix = \"cpu\"\nconnections = 1\n";
  std::ofstream(d.dir.File("twice.toml"))
      << "[[phase]]\nname = \"x\"\nduration = \"1s\"\nconnections = 1\nmix = "
         "\"cpu\"\n[[phase]]\nname = \"x\"\nduration = \"1s\"\nconnections = "
         "1\nmix = \"cpu\"\n";
  const std::string head = "name = \"a\"\n[adaptive]\n";
  const std::string files = "candidates = \"c.toml\"\nphases = \"p.toml\"\n";
  const BadStudy cases[] = {
      {head + files + "controllers = [\"genius\"]\n",
       "s.toml:5: adaptive: key 'controllers': 'genius': one of"},
      {head + files + "controllers = [\"ucb\", \"ucb\"]\n", "'ucb' is listed twice"},
      {head + files + "controllers = \"ucb\"\nspeed = 1\n", "unknown key 'speed'"},
      {head + "phases = \"p.toml\"\n", "key 'candidates': missing"},
      {head + "candidates = \"nowhere.toml\"\nphases = \"p.toml\"\n", "nowhere.toml"},
      {head + "candidates = \"bad-candidates.toml\"\nphases = \"p.toml\"\n", "bad-candidates.toml:"},
      {head + "candidates = \"c.toml\"\n", "key 'phases': missing"},
      {head + "candidates = \"c.toml\"\nphases = \"no-mix.toml\"\n", "no-mix.toml:1: phase 1: key 'mix'"},
      {head + "candidates = \"c.toml\"\nphases = \"no-duration.toml\"\n", "key 'duration': missing"},
      {head + "candidates = \"c.toml\"\nphases = \"twice.toml\"\n", "two phases are named 'x'"},
      {head + files + "window = \"50ms\"\n", "key 'window': at least 100ms"},
      {head + files + "window = \"fast\"\n", "key 'window'"},
      {head + files + "io_threads = 0\n", "key 'io_threads'"},
      {head + files + "args = [\"--workers\", \"4\"]\n", "--workers is set by the study"},
      {head + files + "args = [\"--controller=ucb\"]\n", "--controller is set by the study"},
      {"name = \"a\"\nrepetitions = 0\n[adaptive]\n" + files, "key 'repetitions'"},
      {"name = \"a\"\nduration = \"2s\"\n[adaptive]\n" + files,
       "key 'duration': does not apply to an adaptive"},
      {"name = \"a\"\n[server]\n[adaptive]\n" + files, "key 'server': does not apply to an adaptive"},
      {"name = \"a\"\n[pipeline]\n[adaptive]\n" + files, "not both"},
  };
  for (const BadStudy& c : cases) {
    auto r = ParseStudy(c.text, d.StudyFile());
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.mentions), std::string::npos)
        << "for:\n"
        << c.text << "\ngot: " << r.status().message();
  }
}

// A load result by hand: phase 0 of 2 s, phase 1 of 1.5 s (its second
// second straddles the end), 10 ms answers.
TEST(AdaptiveRunFiguresTest, RewardPerSecondPerPhaseAndLostRequests) {
  std::vector<LoadPhase> phases(2);
  phases[0].name = "a";
  phases[0].duration_us = 2'000'000;
  phases[0].mix = *RequestMix::Parse("cpu:iters=1");
  phases[1].name = "b";
  phases[1].duration_us = 1'500'000;
  phases[1].mix = *RequestMix::Parse("cpu:iters=1");
  LoadResult result;
  result.stats = LoadStats(2);
  result.stats.NameEntries(0, phases[0].mix);
  result.stats.NameEntries(1, phases[1].mix);
  result.phase_us = {2'000'000, 1'500'000};
  result.measured_us = 3'500'000;
  // Second 0: 100 ok answers of 9 ms (p99 9 ms: reward 100 / 10 = 10).
  for (int i = 0; i < 100; ++i) {
    result.stats.RecordSend(0, 0);
    result.stats.RecordOutcome(0, 0, RequestKind::kCpu, 0, 9000, 200, nullptr);
  }
  // Second 1: no ok answer (a stall): it scores 0. Two requests sent, one
  // never answered, one answered 503 after 1.5 s (lost: 2).
  result.stats.RecordSend(0, 1);
  result.stats.RecordSend(0, 1);
  result.stats.RecordOutcome(0, 1, RequestKind::kCpu, 0, 1'500'000, 503, nullptr);
  // Second 2 (phase b, whole): 50 ok of 4 ms: reward 50 / 5 = 10.
  for (int i = 0; i < 50; ++i) {
    result.stats.RecordSend(1, 2);
    result.stats.RecordOutcome(1, 2, RequestKind::kCpu, 0, 4000, 200, nullptr);
  }
  // The figures as the record writes them.
  results::RunRecord rec;
  PutAdaptiveFigures(phases, result, rec.body.emplace<results::AdaptiveBody>());
  const json record = results::ToJson(rec);
  ASSERT_EQ(record["phases"].size(), 2u);
  const json& a = record["phases"][0];
  EXPECT_EQ(a["sent"], 102);
  EXPECT_EQ(a["requests"], 101);
  EXPECT_EQ(a["errors"], 1);
  EXPECT_EQ(a["lost"], 2);
  EXPECT_EQ(a["ok"], 100);
  EXPECT_EQ(a["reward_seconds"], 2);
  // Seconds 0 (10) and 1 (0): mean 5, within the histogram's 0.4%.
  EXPECT_NEAR(a["reward"].get<double>(), 5.0, 0.05);
  EXPECT_NEAR(a["ok_rps"].get<double>(), 50.0, 1e-9);
  // The phase's p99 (of 101 outcomes: the 9 ms ones) and its reward: 50 / 10.
  EXPECT_NEAR(a["p99_ms"].get<double>(), 9, 0.05);
  EXPECT_NEAR(a["phase_reward"].get<double>(), 5, 0.05);
  const json& b = record["phases"][1];
  EXPECT_EQ(b["reward_seconds"], 1);
  EXPECT_NEAR(b["reward"].get<double>(), 10.0, 0.05);
  EXPECT_NEAR(b["start_s"].get<double>(), 2.0, 1e-9);
  EXPECT_EQ(b["lost"], 0);

  ASSERT_EQ(record["timeseries"].size(), 3u);
  EXPECT_EQ(record["timeseries"][1]["phase"], 0);
  EXPECT_EQ(record["timeseries"][1]["reward"], 0.0);
  EXPECT_EQ(record["timeseries"][2]["phase"], 1);
  EXPECT_EQ(record["timeseries"][0]["ok"], 100);
}

TEST(AdaptiveRunFiguresTest, DecisionsArePlacedOnTheLoadsTimeline) {
  const std::string text =
      R"({"window":1,"t_s":1.0,"monotonic_s":100.5,"serving":"a","chosen":"b","switched":true,"reason":"untried","reward":3})"
      "\n"
      R"({"window":2,"t_s":2.0,"monotonic_s":101.5,"serving":"b","chosen":"b","switched":false,"reason":"dwell"})"
      "\nnot json\n";
  json d = json::array();
  for (const results::Decision& x : AlignedDecisions(text, 100.0)) d.push_back(results::PartToJson(x));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0]["reward"].dump(), "3.0");  // written as a number with a fraction, as before
  EXPECT_DOUBLE_EQ(d[0]["at_s"].get<double>(), 0.5);
  EXPECT_EQ(d[0]["serving"], "a");
  EXPECT_EQ(d[0]["switched"], true);
  EXPECT_EQ(d[1]["reason"], "dwell");
}

}  // namespace

namespace report {
namespace {

AdaptiveRun MakeRun(bool is_static, const std::string& name, int64_t rep, std::vector<double> rewards,
                    std::vector<double> phase_rewards = {}) {
  AdaptiveRun r;
  r.is_static = is_static;
  r.name = name;
  r.repetition = rep;
  r.candidates = {"A", "B", "C"};
  for (size_t i = 0; i < rewards.size(); ++i) {
    AdaptivePhase p;
    p.name = "p" + std::to_string(i);
    p.start_s = 10.0 * static_cast<double>(i);
    p.duration_s = 10;
    p.reward = rewards[i];
    p.phase_reward = phase_rewards.empty() ? rewards[i] : phase_rewards[i];
    p.p99_ms = 1;
    p.sent = 100;
    r.phases.push_back(p);
  }
  return r;
}

TEST(AdaptiveComparisonTest, OracleBestStaticRatiosAndRepetitionRanges) {
  // Phase 0 favours A, phase 1 favours B; C is poor. Medians over 3 repetitions.
  std::vector<AdaptiveRun> runs;
  for (int rep = 0; rep < 3; ++rep) {
    const double k = 1 + 0.1 * rep;  // repetitions differ a little
    runs.push_back(MakeRun(true, "A", rep, {10 * k, 2 * k}));
    runs.push_back(MakeRun(true, "B", rep, {3.5 * k, 8 * k}));
    runs.push_back(MakeRun(true, "C", rep, {9.7 * k, 1 * k}));
    runs.push_back(MakeRun(false, "ucb", rep, {9 * k, 7.5 * k}, {5 * k, 5 * k}));
  }
  runs.back().phases[1].lost = 3;
  const AdaptiveComparison c = CompareAdaptive(runs);
  ASSERT_EQ(c.phases, (std::vector<std::string>{"p0", "p1"}));
  ASSERT_EQ(c.statics.size(), 3u);
  EXPECT_EQ(c.oracle_pick, (std::vector<std::string>{"A", "B"}));
  EXPECT_NEAR(*c.oracle_reward[0], 11, 1e-9);  // medians: repetition 1's
  EXPECT_NEAR(*c.oracle_reward[1], 8.8, 1e-9);
  EXPECT_NEAR(*c.oracle_mean, 9.9, 1e-9);
  // A: (11 + 2.2) / 2 = 6.6; B: (3.85 + 8.8) / 2 = 6.325; C: 5.885.
  EXPECT_EQ(c.best_static, "A");
  EXPECT_NEAR(*c.best_mean, 6.6, 1e-9);
  // Good in phase 0: A and C (9.7 is within 5% of 10); in phase 1: B alone.
  EXPECT_EQ(c.good[0], (std::set<std::string>{"A", "C"}));
  EXPECT_EQ(c.good[1], (std::set<std::string>{"B"}));

  ASSERT_EQ(c.controllers.size(), 1u);
  const AdaptiveRow& u = c.controllers[0];
  EXPECT_NEAR(*u.mean_reward, (9.9 + 8.25) / 2, 1e-9);
  EXPECT_NEAR(*u.vs_oracle, 9.075 / 9.9, 1e-9);
  EXPECT_NEAR(*u.vs_best_static, 9.075 / 6.6, 1e-9);
  EXPECT_NEAR(*u.phase_vs_oracle, 5.5 / 9.9, 1e-9);
  // Each repetition scales alike: the same ratio in every one.
  EXPECT_NEAR(*u.rep_vs_oracle_min, 8.25 / 9, 1e-9);
  EXPECT_NEAR(*u.rep_vs_oracle_max, 8.25 / 9, 1e-9);
  EXPECT_NEAR(*u.rep_vs_best_min, 8.25 / 6, 1e-9);
  EXPECT_EQ(u.lost, 3);
  EXPECT_EQ(c.statics[0].lost, 0);

  const std::string statement = AdaptiveTargetStatement(c, u);
  EXPECT_NE(statement.find("0.917 of the oracle's"), std::string::npos) << statement;
  EXPECT_NE(statement.find("target ≥ 0.9, met"), std::string::npos) << statement;
  EXPECT_NE(statement.find("1.375 of the best static A's"), std::string::npos) << statement;
  EXPECT_NE(statement.find("phase reward 0.556 of the oracle's (NOT met)"), std::string::npos) << statement;
}

TEST(AdaptiveComparisonTest, TimeToAdaptFromTheDecisions) {
  // Two phases of 10 s; windows of 1 s. The controller serves C (good in
  // phase 0) from the start, then B from 13 s on: 3 s after the shift.
  AdaptiveRun r = MakeRun(false, "ucb", 0, {9, 7});
  r.window_s = 1;
  for (int w = 1; w <= 20; ++w) {
    AdaptiveDecision d;
    d.at_s = w;
    d.serving = w <= 13 ? "C" : "B";
    d.switched = w == 13;
    r.decisions.push_back(d);
  }
  const std::vector<std::set<std::string>> good = {{"A", "C"}, {"B"}};
  auto a = AdaptationOf(r, good);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_DOUBLE_EQ(*a[0].adapt_s, 0);
  EXPECT_TRUE(a[0].good_at_target);
  EXPECT_DOUBLE_EQ(*a[1].adapt_s, 3);
  EXPECT_TRUE(a[1].good_at_target);
  EXPECT_NEAR(*a[1].good_share, 0.7, 1e-9);

  // Switching only at 16 s: 6 s, and not serving a good one 5 s in.
  for (auto& d : r.decisions) d.serving = d.at_s <= 16 ? "C" : "B";
  a = AdaptationOf(r, good);
  EXPECT_DOUBLE_EQ(*a[1].adapt_s, 6);
  EXPECT_FALSE(a[1].good_at_target);

  // Never a good one in phase 1.
  for (auto& d : r.decisions) d.serving = "A";
  a = AdaptationOf(r, good);
  EXPECT_FALSE(a[1].adapt_s);
  EXPECT_FALSE(a[1].good_at_target);

  // In the comparison: the target after the shift, per run.
  std::vector<AdaptiveRun> runs = {MakeRun(true, "A", 0, {10, 1}), MakeRun(true, "B", 0, {1, 10}), r};
  runs[2].name = "late";
  for (auto& d : runs[2].decisions) d.serving = d.at_s <= 16 ? "A" : "B";
  AdaptiveRun fast = runs[2];
  fast.name = "fast";
  for (auto& d : fast.decisions) d.serving = d.at_s <= 12 ? "A" : "B";
  runs.push_back(fast);
  const AdaptiveComparison c = CompareAdaptive(runs);
  ASSERT_EQ(c.controllers.size(), 2u);
  EXPECT_EQ(c.controllers[0].name, "late");
  EXPECT_EQ(c.controllers[0].shifts_met, false);
  EXPECT_DOUBLE_EQ(*c.controllers[0].adaptation[1].adapt_s, 6);
  EXPECT_EQ(c.controllers[1].shifts_met, true);
  EXPECT_DOUBLE_EQ(*c.controllers[1].adaptation[1].adapt_s, 2);
  EXPECT_EQ(c.controllers[1].adaptation[1].good_at_target, 1);

  // A window logged idle while the load ran, and a step of 0.5 s between two windows.
  runs[3].decisions[4].reason = "idle";
  for (size_t k = 8; k < runs[3].decisions.size(); ++k) runs[3].decisions[k].at_s += 0.5;
  const AdaptiveComparison noted = CompareAdaptive(runs);
  EXPECT_EQ(noted.controllers[1].idle_windows_under_load, 1);
  EXPECT_NEAR(noted.controllers[1].longest_step_s, 0.5, 1e-9);
  EXPECT_EQ(noted.controllers[0].idle_windows_under_load, 0);
}

}  // namespace
}  // namespace report

namespace {

std::vector<json> Records(const std::string& path) {
  std::vector<json> out;
  std::istringstream in(*ReadFile(path));
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// Two candidates, round-robin, two phases of 2 s, windows of 0.5 s, one
// repetition: three servers of about 5 s each.
TEST(AdaptiveStudyRunnerTest, RunsStaticsAndAControllerWithCompleteRecordsAReportSectionAndResumes) {
  StudyDir d;
  auto spec = ParseStudy(R"(
name = "tiny-adaptive"
warmup = "500ms"
[adaptive]
candidates = "c.toml"
phases = "p.toml"
controllers = ["round-robin"]
window = "500ms"
io_threads = 1
)",
                         d.StudyFile());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  StudyOptions options;
  options.binary = SWITCHYARD_BINARY;
  options.results_path = d.dir.File("r.jsonl");
  options.work_dir = d.dir.File("work");
  auto tally = RunStudy(*spec, options);
  ASSERT_TRUE(tally.ok()) << tally.status().ToString();
  EXPECT_EQ(tally->runs, 3);
  EXPECT_EQ(tally->ok, 3);

  std::vector<json> records = Records(options.results_path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["cell"], "static.threads/2/fifo");
  EXPECT_EQ(records[1]["cell"], "controller.round-robin");
  EXPECT_EQ(records[2]["cell"], "static.async/fifo/offload1");
  for (const json& r : records) {
    EXPECT_EQ(r["status"], "ok") << r.dump();
    EXPECT_EQ(r["kind"], "adaptive");
    ASSERT_EQ(r["phases"].size(), 2u);
    for (const json& p : r["phases"]) {
      EXPECT_GT(p["ok"].get<int>(), 0) << p.dump();
      EXPECT_GT(p["reward"].get<double>(), 0) << p.dump();
      EXPECT_GT(p["phase_reward"].get<double>(), 0) << p.dump();
      EXPECT_EQ(p["reward_seconds"], 2);
      EXPECT_EQ(p["lost"], 0) << p.dump();
    }
    EXPECT_GE(r["timeseries"].size(), 4u);
  }
  const json& ctl = records[1];
  EXPECT_EQ(ctl["config"]["controller"], "round-robin");
  ASSERT_GE(ctl["decisions"].size(), 6u) << ctl.dump();
  EXPECT_GE(ctl["switches"].get<int>(), 1);
  // The windows lie on the load's timeline: the first ended during the
  // warm-up or just after, the last near the end of the 4 s measured.
  EXPECT_LT(ctl["decisions"].front()["at_s"].get<double>(), 1.0);
  EXPECT_GT(ctl["decisions"].back()["at_s"].get<double>(), 3.0);

  // The report's section: a row per static candidate, the oracle, the controller.
  auto study = report::LoadStudy(options.results_path);
  ASSERT_TRUE(study.ok()) << study.status().ToString();
  EXPECT_EQ(study->adaptive_records, 3);
  const report::RenderedReport rendered = report::RenderReport(*study);
  const std::string& md = rendered.summary_md;
  EXPECT_NE(md.find("## Adaptive controller"), std::string::npos) << md;
  EXPECT_EQ(md.find("## Summary"), std::string::npos) << "no server sections for adaptive records only";
  for (const char* row : {"| threads/2/fifo |", "oracle (best static per phase)",
                          "| controller round-robin |", "### Time to adapt after each shift"}) {
    EXPECT_NE(md.find(row), std::string::npos) << row << "\n" << md;
  }
  ASSERT_GE(rendered.adaptive_statements.size(), 2u);
  EXPECT_NE(rendered.adaptive_statements[0].find("round-robin: mean reward"), std::string::npos);
  bool chart = false;
  for (const auto& c : rendered.charts) {
    if (c.file_name != "adaptive-reward-over-time.svg") continue;
    chart = true;
    EXPECT_EQ(testing::XmlProblem(c.svg), "");
    for (const char* series : {"oracle (best static per phase)", "round-robin"}) {
      EXPECT_NE(c.svg.find(series), std::string::npos) << series;
    }
  }
  EXPECT_TRUE(chart);
  // The page's section, well-formed on its own.
  const std::string& html = rendered.index_html;
  const size_t from = html.find("<h2 id=\"adaptive\">");
  const size_t to = html.find("<h2 id=\"failed\">");
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(testing::XmlProblem(html.substr(from, to - from)), "");
  EXPECT_NE(html.find("<a href=\"#adaptive\">"), std::string::npos);

  // Again: nothing left to do.
  auto again = RunStudy(*spec, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->skipped, 3);
  EXPECT_EQ(again->ok, 0);
}

TEST(AdaptiveStudyRunnerTest, AServerThatCannotStartFailsOnlyItsRun) {
  StudyDir d;
  auto spec = ParseStudy(R"(
name = "broken"
warmup = "100ms"
[adaptive]
candidates = "c.toml"
phases = "p.toml"
controllers = []
)",
                         d.StudyFile());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  StudyOptions options;
  options.binary = "/bin/false";
  options.results_path = d.dir.File("r.jsonl");
  options.work_dir = d.dir.File("work");
  auto tally = RunStudy(*spec, options);
  ASSERT_TRUE(tally.ok()) << tally.status().ToString();
  EXPECT_EQ(tally->failed, 2);
  std::vector<json> records = Records(options.results_path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["status"], "failed");
  EXPECT_EQ(records[0]["kind"], "adaptive");
  EXPECT_FALSE(records[0]["error"].get<std::string>().empty());
  // The report lists them as failed runs and says no run succeeded.
  auto study = report::LoadStudy(options.results_path);
  ASSERT_TRUE(study.ok()) << study.status().ToString();
  const report::RenderedReport rendered = report::RenderReport(*study);
  EXPECT_NE(rendered.summary_md.find("No adaptive run succeeded"), std::string::npos);
  EXPECT_NE(rendered.summary_md.find("static threads/2/fifo"), std::string::npos);
}

}  // namespace
}  // namespace switchyard
