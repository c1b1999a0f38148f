// The adaptive controller (issue 7): candidates files, rewards, and the
// control loop against a fake server whose best configuration changes with
// the phase — it finds the best, follows a shift, holds through noise,
// returns to a known workload's best, and never retries a candidate that
// failed to start.
#include "control/controller.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "control/candidates.h"
#include "control/reward.h"
#include "server_harness.h"

namespace switchyard {
namespace {

using testing::TempDir;

TEST(CandidatesTest, ReadsAFile) {
  auto c = ParseCandidates(R"(
[[candidate]]
executor = "threads"
workers = 4
policy = "sjf"

[[candidate]]
executor = "processes"
workers = 2
start = "fork"

[[candidate]]
executor = "async"
offload = 2

[[candidate]]
executor = "threads"
workers = 4
policy = "sjf"
max_batch = 8
batch_delay_us = 2000
)",
                           "c.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->size(), 4u);
  EXPECT_EQ((*c)[0].Label(), "threads/4/sjf");
  EXPECT_EQ((*c)[1].Label(), "processes/2/fifo/fork");
  EXPECT_EQ((*c)[2].Label(), "async/fifo/offload2");
  // Batching settings make a candidate of their own, named by them.
  EXPECT_EQ((*c)[3].Label(), "threads/4/sjf/max_batch=8/batch_delay_us=2000");
  EXPECT_EQ((*c)[3].ApplyTo(ExecutorConfig{}).max_batch, 8);
  EXPECT_EQ((*c)[3].ApplyTo(ExecutorConfig{}).batch_delay_us, 2000);
  EXPECT_EQ((*c)[0].ApplyTo(ExecutorConfig{}).max_batch, ExecutorConfig::kModelsOwn);
  ExecutorConfig base;
  base.max_queue = 77;
  const ExecutorConfig applied = (*c)[1].ApplyTo(base);
  EXPECT_EQ(applied.kind, ExecutorKind::kProcesses);
  EXPECT_EQ(applied.workers, 2);
  EXPECT_EQ(applied.start, StartMethod::kFork);
  EXPECT_EQ(applied.max_queue, 77u);  // what the candidate does not say is kept
  EXPECT_EQ(Candidate::Of(applied), (*c)[1]);
}

TEST(CandidatesTest, RejectsBadFilesNamingFileLineAndReason) {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"", "no [[candidate]]"},
      {"[[candidate]]\nexecutor = \"fibers\"\nworkers = 2\n", "c.toml:2"},
      {"[[candidate]]\nexecutor = \"threads\"\nworkers = 0\n", "workers"},
      {"[[candidate]]\nexecutor = \"threads\"\n", "workers"},
      {"[[candidate]]\nexecutor = \"threads\"\nworkers = 2\npolicy = \"lottery\"\n", "lottery"},
      {"[[candidate]]\nexecutor = \"threads\"\nworkers = 2\nstart = \"fork\"\n", "only processes"},
      {"[[candidate]]\nexecutor = \"threads\"\nworkers = 2\noffload = 1\n", "only async"},
      {"[[candidate]]\nexecutor = \"async\"\nworkers = 2\n", "event loops"},
      {"[[candidate]]\nexecutor = \"threads\"\nworkers = 2\nthreads = 3\n", "threads"},
      {"[[candidate]]\nexecutor = \"threads\"\nworkers = 2\nmax_batch = 0\n",
       "-1 (the default) or between 1"},
      {"[[candidate]]\nexecutor = \"threads\"\nworkers = 2\nbatch_delay_us = 2.5\n", "batch_delay_us"},
      {"[[candidate]]\nexecutor = \"threads\"\nworkers = 2\n[[candidate]]\nexecutor = \"threads\"\nworkers = "
       "2\n",
       "the same configuration as candidate 1"},
      {"[[candidate]]\nexecutor = \"threads\"\nworkers = 2\n[[candidate]]\nexecutor = \"threads\"\nworkers = "
       "2\n",
       "c.toml:5"},
      {"candidate = 3\n", "candidate"},
      {"[[candidate]\n", "c.toml:1"},  // syntax
  };
  for (const auto& c : cases) {
    auto r = ParseCandidates(c.text, "c.toml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status().message();
  }
  auto missing = LoadCandidates("/nonexistent/candidates.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/candidates.toml"), std::string::npos);
}

TEST(CandidatesTest, TheDefaultSetIsTwelveDistinctConfigurationsSizedToTheMachine) {
  const auto c = DefaultCandidates(2);
  EXPECT_EQ(c.size(), 12u);
  std::set<std::string> labels;
  for (const auto& x : c) labels.insert(x.Label());
  EXPECT_EQ(labels.size(), c.size());
  EXPECT_TRUE(labels.count("threads/2/fifo"));
  EXPECT_TRUE(labels.count("processes/8/sjf/forkserver"));
  EXPECT_TRUE(labels.count("async/fifo"));
  EXPECT_TRUE(labels.count("async/sjf/offload2"));
  std::set<std::string> one;
  for (const auto& x : DefaultCandidates(1)) one.insert(x.Label());
  EXPECT_EQ(one.size(), DefaultCandidates(1).size());
}

TEST(RewardTest, ParsesBothFormsAndScoresWindows) {
  auto d = ParseReward("throughput-p99");
  ASSERT_TRUE(d.ok());
  WindowStats w;
  w.throughput = 1000;
  w.goodput = 900;
  w.p99_ms = 9;
  EXPECT_DOUBLE_EQ(d->Of(w), 100);
  auto slo = ParseReward("slo:50ms");
  ASSERT_TRUE(slo.ok());
  EXPECT_DOUBLE_EQ(slo->slo_ms, 50);
  EXPECT_DOUBLE_EQ(slo->Of(w), 900);
  EXPECT_TRUE(ParseReward("slo:2.5").ok());
  WindowStats idle;
  EXPECT_EQ(d->Of(idle), 0);
  for (const char* bad : {"", "throughput", "slo:", "slo:0", "slo:-5", "slo:abc", "slo:5s", "p99"}) {
    auto r = ParseReward(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("slo:MS"), std::string::npos) << r.status().message();
  }
}

// A server whose candidates earn phase-dependent throughput (p99 fixed), with
// multiplicative noise; the phase's mix is what the contextual bandit sees.
class FakeServer : public ControlledServer {
 public:
  struct Phase {
    std::vector<double> throughput;  // per candidate
    double share_cpu = 0;
    double share_io = 0;
    double wait_load = 0;  // sleeps in progress the load asks for
  };
  explicit FakeServer(std::vector<Phase> phases, double noise = 0.03)
      : phases_(std::move(phases)), noise_(noise) {}

  WindowStats Observe() override {
    WindowStats w;
    const Phase& p = phases_[static_cast<size_t>(phase)];
    w.seconds = 2;
    if (draining_windows > 0) --draining_windows;
    if (idle) return w;
    if (stalled) {
      w.in_system = 16;
      w.queue_length = 14;
      return w;
    }
    std::normal_distribution<double> n(1.0, noise_);
    w.throughput = p.throughput[static_cast<size_t>(current)] * n(rng_);
    parts_ = {};
    if (canary >= 0) {
      const double share = canary_share;
      parts_[0].seconds = parts_[1].seconds = w.seconds;
      parts_[0].throughput = parts_[0].goodput = w.throughput * (1 - share);
      parts_[1].throughput = parts_[1].goodput = p.throughput[static_cast<size_t>(canary)] * n(rng_) * share;
      const double arrivals = w.throughput;
      parts_[0].arrival_rate = arrivals * (1 - share);
      parts_[1].arrival_rate = arrivals * share;
      parts_[0].p99_ms = parts_[1].p99_ms = 9;
      w.throughput = parts_[0].throughput + parts_[1].throughput;
    }
    w.goodput = w.throughput;
    w.arrival_rate = w.throughput;
    w.p99_ms = 9;
    w.share_cpu = p.share_cpu;
    w.share_io = p.share_io;
    w.share_sleep = p.wait_load > 0 ? 1 - p.share_cpu - p.share_io : 0;
    w.wait_load = p.wait_load;
    w.cpu_utilisation = 0.5;
    w.queue_length = queue_length;
    return w;
  }

  std::optional<WindowStats> Peek() override {
    if (!peekable) return std::nullopt;
    ++peeks;
    const auto saved_rng = rng_;
    const int saved_draining = draining_windows;
    WindowStats w = Observe();
    rng_ = saved_rng;
    draining_windows = saved_draining;
    return w;
  }

  bool Draining() const override { return draining_windows > 0; }

  // The canary: each part earns its candidate's throughput on its share
  // (the reward's throughput scaled back up is the candidate's own).
  bool CanRunCanary() const override { return canary_capable; }
  Status StartCanary(const Candidate& c, double share, int64_t* start_us) override {
    ++canaries_started;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] != c.Label()) continue;
      if (static_cast<int>(i) == fails) return Internal("cannot allocate the workers");
      canary = static_cast<int>(i);
      canary_share = share;
      *start_us = 700;
      return Status::Ok();
    }
    return Internal("unknown candidate");
  }
  Status EndCanary(bool promote) override {
    if (canary < 0) return Unavailable("no canary runs");
    if (promote) current = canary;
    ++(promote ? promotions : ends);
    canary = -1;
    canary_queue = 0;
    return Status::Ok();
  }
  std::array<WindowStats, 2> Parts() const override { return parts_; }
  CanaryState Canary() const override {
    if (canary < 0) return {};
    return {.running = true, .queued = canary_queue, .workers = 2, .worker_restarts = canary_restarts};
  }

  Status Apply(const Candidate& c, int64_t* start_us) override {
    ++applies;
    draining_windows = drain_after_switch;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] != c.Label()) continue;
      if (static_cast<int>(i) == fails) return Internal("cannot allocate the workers");
      current = static_cast<int>(i);
      *start_us = 1500;
      return Status::Ok();
    }
    return Internal("unknown candidate");
  }

  std::vector<std::string> labels;
  int current = 0;
  int phase = 0;
  int fails = -1;
  int applies = 0;
  bool idle = false;
  bool stalled = false;
  int drain_after_switch = 0;  // windows the old configuration drains after a switch
  double queue_length = 0;     // what every window reports queued
  bool canary_capable = false;  // CanRunCanary()
  int canary = -1;              // the candidate in the canary; -1: none
  double canary_share = 0;
  double canary_queue = 0;
  uint64_t canary_restarts = 0;
  int canaries_started = 0;
  int promotions = 0;
  int ends = 0;
  bool peekable = false;       // Peek() answers (else nullopt, as ControlledServer's default)
  int peeks = 0;
  int draining_windows = 0;

 private:
  std::vector<Phase> phases_;
  std::array<WindowStats, 2> parts_{};
  double noise_;
  std::mt19937_64 rng_{42};
};

std::vector<Candidate> FourCandidates() {
  return {{ExecutorKind::kThreads, 2, "fifo", StartMethod::kForkServer},
          {ExecutorKind::kThreads, 8, "fifo", StartMethod::kForkServer},
          {ExecutorKind::kProcesses, 2, "fifo", StartMethod::kForkServer},
          {ExecutorKind::kAsync, 0, "fifo", StartMethod::kForkServer}};
}

struct Loop {
  std::unique_ptr<Controller> controller;
  int64_t now = 0;
  std::vector<Decision> Run(int windows) {
    std::vector<Decision> out;
    for (int i = 0; i < windows; ++i) {
      now += 2'000'000;
      out.push_back(controller->Step(now));
    }
    return out;
  }
};

Loop MakeLoop(FakeServer& server, const std::string& algorithm, const std::string& log = "",
              bool capacity_screen = true) {
  const auto candidates = FourCandidates();
  for (const auto& c : candidates) server.labels.push_back(c.Label());
  ControllerOptions o;
  o.algorithm = algorithm;
  o.decisions_out = log;
  o.capacity_screen = capacity_screen;
  auto c = Controller::Create(o, candidates, candidates[0], server);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return Loop{std::move(*c)};
}

// Phase A: candidate 3 best by far; phase B: candidate 1.
std::vector<FakeServer::Phase> TwoPhases() {
  return {{{300, 400, 350, 900}, 0.9, 0.1}, {{300, 950, 350, 400}, 0.1, 0.9}};
}

int ShareOf(const std::vector<Decision>& ds, int candidate) {
  int n = 0;
  for (const auto& d : ds) n += d.serving == candidate ? 1 : 0;
  return n;
}

int Switches(const std::vector<Decision>& ds) {
  int n = 0;
  for (const auto& d : ds) n += d.switched ? 1 : 0;
  return n;
}

TEST(ControllerTest, FindsTheBestCandidateAndStaysThroughNoise) {
  for (const char* algorithm : {"epsilon-greedy", "ucb", "thompson", "contextual"}) {
    FakeServer server(TwoPhases());
    Loop loop = MakeLoop(server, algorithm);
    loop.Run(30);  // learning
    const auto settled = loop.Run(40);
    // Mostly on the best (epsilon-greedy keeps exploring a tenth of the time).
    EXPECT_GE(ShareOf(settled, 3), 30) << algorithm;
    EXPECT_LE(Switches(settled), 10) << algorithm;
  }
}

// Four candidates within 5% of each other and 10% noise per window: a
// stationary workload whose best cannot be told apart within the noise.
// Each candidate is visited at most max_visits times to explore it; after
// that the controller stays (decisions "converged"), whatever the bandit.
TEST(ControllerTest, OnAStationaryWorkloadWithinTheNoiseSwitchesStop) {
  for (const char* algorithm : {"epsilon-greedy", "ucb", "thompson", "contextual"}) {
    FakeServer server({{{300, 310, 305, 315}, 0.5, 0.5}}, /*noise=*/0.10);
    Loop loop = MakeLoop(server, algorithm);
    const auto learning = loop.Run(40);
    const auto later = loop.Run(150);
    // Four candidates, two visits each to explore them, and as many
    // returns: at most 16 in all, whenever the bandit explores.
    EXPECT_LE(Switches(learning) + Switches(later), 16) << algorithm;
    // The bandits that explore by their uncertainty do it first, and stop
    // (epsilon-greedy explores at random times: its visits spread out).
    if (std::string(algorithm) != "epsilon-greedy") {
      EXPECT_LE(Switches(later), 1) << algorithm;
    }
    int converged = 0;
    for (const auto& d : later) converged += d.reason == DecisionReason::kConverged ? 1 : 0;
    if (std::string(algorithm) != "contextual") {
      EXPECT_GT(converged, 0) << algorithm;
    }
  }
}

// A clear winner still wins under the same noise: the evidence separates it.
TEST(ControllerTest, EvidenceStillSeparatesAClearWinner) {
  for (const char* algorithm : {"ucb", "thompson", "contextual"}) {
    FakeServer server({{{300, 300, 300, 600}, 0.5, 0.5}}, /*noise=*/0.10);
    Loop loop = MakeLoop(server, algorithm);
    loop.Run(30);
    const auto later = loop.Run(60);
    EXPECT_GE(ShareOf(later, 3), 58) << algorithm;
  }
}

// After convergence a shift of the mix is a new regime: exploration resumes
// and finds the new best; then it converges again.
TEST(ControllerTest, AShiftAfterConvergenceResumesExploration) {
  for (const char* algorithm : {"ucb", "thompson"}) {
    std::vector<FakeServer::Phase> phases = {{{300, 310, 305, 315}, 0.9, 0.1}, {{300, 900, 305, 315}, 0.1, 0.9}};
    FakeServer server(phases, /*noise=*/0.10);
    Loop loop = MakeLoop(server, algorithm);
    loop.Run(100);
    server.phase = 1;
    const auto after = loop.Run(40);
    EXPECT_TRUE(after[0].shift || after[1].shift) << algorithm;
    EXPECT_GE(ShareOf(std::vector<Decision>(after.begin() + 20, after.end()), 1), 19) << algorithm;
  }
}

TEST(ControllerTest, MaxVisitsBoundsExplorationAndMustBePositive) {
  FakeServer server({{{300, 310, 305, 315}, 0.5, 0.5}}, /*noise=*/0.10);
  for (const auto& c : FourCandidates()) server.labels.push_back(c.Label());
  ControllerOptions o;
  o.algorithm = "ucb";
  o.max_visits = 1;
  auto c = Controller::Create(o, FourCandidates(), FourCandidates()[0], server);
  ASSERT_TRUE(c.ok());
  Loop loop{std::move(*c)};
  const auto ds = loop.Run(100);
  std::vector<int> visits(4, 0);
  for (const auto& d : ds) {
    if (d.switched && (d.reason == DecisionReason::kUntried || d.reason == DecisionReason::kExplore)) {
      ++visits[static_cast<size_t>(d.chosen)];
    }
  }
  for (int v : visits) EXPECT_LE(v, 1);
  o.max_visits = 0;
  EXPECT_FALSE(Controller::Create(o, FourCandidates(), FourCandidates()[0], server).ok());
}

Loop MakeCanaryLoop(FakeServer& server, const std::string& algorithm, ControllerOptions o = {}) {
  const auto candidates = FourCandidates();
  for (const auto& c : candidates) server.labels.push_back(c.Label());
  server.canary_capable = true;
  o.algorithm = algorithm;
  auto c = Controller::Create(o, candidates, candidates[0], server);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return Loop{std::move(*c)};
}

// With a canary, exploring costs no switch: the candidates within the noise
// are tried on their slice and rejected; the clear winner is promoted — the
// one switch — and stays.
TEST(ControllerTest, TrialsPromoteTheClearWinnerAndRejectTheRestWithoutSwitching) {
  for (const char* algorithm : {"ucb", "thompson", "contextual", "epsilon-greedy"}) {
    FakeServer server({{{300, 310, 305, 900}, 0.5, 0.5}}, /*noise=*/0.05);
    Loop loop = MakeCanaryLoop(server, algorithm);
    const auto ds = loop.Run(80);
    EXPECT_EQ(Switches(ds), 1) << algorithm;
    EXPECT_EQ(server.promotions, 1) << algorithm;
    EXPECT_EQ(server.current, 3) << algorithm;
    EXPECT_GE(server.canaries_started, 1) << algorithm;
    EXPECT_EQ(server.applies, 0) << algorithm;  // no switch but the promotion
    for (const auto& d : ds) {
      if (d.switched) {
        EXPECT_EQ(d.reason, DecisionReason::kPromote) << algorithm;
        const auto j = loop.controller->DecisionJson(d);
        EXPECT_EQ(j["reason"], "promote");
        EXPECT_NE(j["note"].get<std::string>().find("async/fifo"), std::string::npos) << j.dump();
      }
      if (d.reason == DecisionReason::kTrial) {
        // Who served which share of the window.
        const auto j = loop.controller->DecisionJson(d);
        ASSERT_EQ(j["served"].size(), 2u) << j.dump();
        EXPECT_NEAR(j["served"][1]["share"].get<double>(), 0.1, 1e-9);
        EXPECT_EQ(j["served"][1]["canary"], true);
        EXPECT_NEAR(j["served"][0]["share"].get<double>(), 0.9, 1e-9);
      }
    }
  }
}

// Candidates within the noise of each other: trials reject them (a
// promotion by chance at most), and once each has had its visits, no more
// trials.
TEST(ControllerTest, TrialsWithinTheNoiseNeverSwitchAndStop) {
  for (const char* algorithm : {"ucb", "thompson", "contextual"}) {
    FakeServer server({{{300, 310, 305, 315}, 0.5, 0.5}}, /*noise=*/0.10);
    Loop loop = MakeCanaryLoop(server, algorithm);
    const auto early = loop.Run(60);
    const auto later = loop.Run(150);
    EXPECT_LE(Switches(early) + Switches(later), 1) << algorithm;
    // Four candidates, max_visits (2) trials each at most, then none.
    EXPECT_LE(server.canaries_started, 8) << algorithm;
  }
}

// A canary whose queue grows past the bound is cut off at once — between
// windows (CutOffDue) — and scored 0; a worker dying in it likewise; the
// serving configuration is untouched.
TEST(ControllerTest, ACanaryThatFallsBehindOrLosesAWorkerIsCutOff) {
  FakeServer server({{{300, 900, 305, 315}, 0.5, 0.5}}, /*noise=*/0.02);
  Loop loop = MakeCanaryLoop(server, "ucb");
  Decision first = loop.Run(1)[0];
  ASSERT_EQ(first.reason, DecisionReason::kWarming);
  Decision started = loop.Run(1)[0];
  ASSERT_EQ(started.reason, DecisionReason::kCanary);
  ASSERT_EQ(server.canary, 1);
  EXPECT_FALSE(loop.controller->CutOffDue());
  server.canary_queue = 15;  // below the bound (16; 4 per worker)
  EXPECT_FALSE(loop.controller->CutOffDue());
  server.canary_queue = 40;
  EXPECT_TRUE(loop.controller->CutOffDue());
  loop.now += 300'000;  // the driver steps early
  Decision cut = loop.controller->Step(loop.now);
  EXPECT_EQ(cut.reason, DecisionReason::kCutOff);
  EXPECT_NE(cut.error.find("queue reached 40"), std::string::npos) << cut.error;
  EXPECT_EQ(server.canary, -1);
  EXPECT_EQ(server.ends, 1);
  EXPECT_EQ(server.current, 0);
  EXPECT_FALSE(cut.switched);
  EXPECT_EQ(loop.controller->DecisionJson(cut)["reason"], "cut-off");

  FakeServer dying({{{300, 900, 305, 315}, 0.5, 0.5}}, /*noise=*/0.02);
  Loop other = MakeCanaryLoop(dying, "ucb");
  other.Run(2);
  ASSERT_EQ(dying.canary, 1);
  dying.canary_restarts = 1;
  EXPECT_TRUE(other.controller->CutOffDue());
  Decision died = other.Run(1)[0];
  EXPECT_EQ(died.reason, DecisionReason::kCutOff);
  EXPECT_NE(died.error.find("died"), std::string::npos) << died.error;
  EXPECT_EQ(dying.current, 0);
}

// A switch (POST /admin/config) ended the canary: the trial ends, nothing
// is promoted or ended twice.
TEST(ControllerTest, ACanaryEndedByASwitchEndsTheTrial) {
  FakeServer server({{{300, 900, 305, 315}, 0.5, 0.5}}, /*noise=*/0.02);
  Loop loop = MakeCanaryLoop(server, "ucb");
  loop.Run(2);
  ASSERT_EQ(server.canary, 1);
  server.canary = -1;  // what the switch did
  EXPECT_TRUE(loop.controller->CutOffDue());
  Decision d = loop.Run(1)[0];
  EXPECT_EQ(d.reason, DecisionReason::kCanaryEnded);
  EXPECT_EQ(server.ends + server.promotions, 0);
  EXPECT_EQ(loop.controller->DecisionJson(d)["reason"], "canary-ended");
}

// A candidate that cannot start as the canary is disabled; the serving one
// is unaffected and the others are still tried.
TEST(ControllerTest, ACanaryThatFailsToStartDisablesItsCandidateOnly) {
  FakeServer server({{{300, 310, 305, 900}, 0.5, 0.5}}, /*noise=*/0.02);
  server.fails = 1;
  Loop loop = MakeCanaryLoop(server, "ucb");
  const auto ds = loop.Run(60);
  int failed = 0;
  for (const auto& d : ds) {
    if (d.reason == DecisionReason::kFailed) {
      ++failed;
      EXPECT_NE(d.error.find("cannot allocate"), std::string::npos);
    }
    if (d.trial >= 0) {
      EXPECT_NE(d.trial, 1);
    }
  }
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(server.current, 3);
  EXPECT_EQ(loop.controller->StatsJson()["candidates"][1]["failed"], true);
}

TEST(ControllerTest, TheCanarysShareMustBeAboveZeroAndAtMostAHalf) {
  FakeServer server(TwoPhases());
  for (double share : {0.0, -0.1, 0.51, 1.0}) {
    ControllerOptions o;
    o.canary_share = share;
    auto c = Controller::Create(o, FourCandidates(), FourCandidates()[0], server);
    ASSERT_FALSE(c.ok()) << share;
    EXPECT_NE(c.status().message().find("--canary-share"), std::string::npos);
  }
  for (double share : {0.01, 0.1, 0.5}) {
    ControllerOptions o;
    o.canary_share = share;
    EXPECT_TRUE(Controller::Create(o, FourCandidates(), FourCandidates()[0], server).ok()) << share;
  }
}

TEST(ControllerTest, FollowsAShiftToTheNewBest) {
  for (const char* algorithm : {"ucb", "thompson", "contextual"}) {
    FakeServer server(TwoPhases());
    Loop loop = MakeLoop(server, algorithm);
    loop.Run(40);
    server.phase = 1;
    const auto after = loop.Run(60);
    // Within 30 windows it serves phase B's best, and mostly stays there.
    int first = -1;
    for (size_t i = 0; i < after.size(); ++i) {
      if (after[i].serving == 1) {
        first = static_cast<int>(i);
        break;
      }
    }
    EXPECT_GE(first, 0) << algorithm;
    EXPECT_LE(first, 30) << algorithm;
    const std::vector<Decision> tail(after.begin() + 30, after.end());
    EXPECT_GE(ShareOf(tail, 1), 20) << algorithm;
  }
}

TEST(ControllerTest, AChangeOfMixIsAShiftAndTheDiscountingBanditsReExploreAtOnce) {
  for (const char* algorithm : {"ucb", "thompson", "epsilon-greedy"}) {
    FakeServer server(TwoPhases());
    Loop loop = MakeLoop(server, algorithm);
    const auto before = loop.Run(40);
    for (const auto& d : before) EXPECT_FALSE(d.shift) << algorithm << " window " << d.window;
    server.phase = 1;
    const auto after = loop.Run(30);
    EXPECT_TRUE(after[0].shift) << algorithm;
    int shifts = 0;
    for (const auto& d : after) shifts += d.shift ? 1 : 0;
    EXPECT_EQ(shifts, 1) << algorithm;
    // Without the shift, 40 windows of phase A's rewards would hold the
    // discounted means for dozens of windows; with it, B's best is served
    // within a few visits and then mostly kept.
    int first = -1;
    for (size_t i = 0; i < after.size(); ++i) {
      if (after[i].serving == 1) {
        first = static_cast<int>(i);
        break;
      }
    }
    EXPECT_GE(first, 0) << algorithm;
    EXPECT_LE(first, 12) << algorithm;
    const std::vector<Decision> tail(after.begin() + 15, after.end());
    EXPECT_GE(ShareOf(tail, 1), 11) << algorithm;
  }
}

TEST(ControllerTest, TheContextualBanditReturnsToAKnownWorkloadsBestAtOnce) {
  FakeServer server(TwoPhases());
  Loop loop = MakeLoop(server, "contextual");
  for (int round = 0; round < 2; ++round) {  // learn both phases
    server.phase = 0;
    loop.Run(25);
    server.phase = 1;
    loop.Run(25);
  }
  server.phase = 0;
  const auto back = loop.Run(10);
  // The first window of the returning phase is observed on B's best; the
  // controller switches to A's best at the end of it (one settling window).
  ASSERT_GE(back.size(), 3u);
  EXPECT_EQ(back[0].chosen, 3) << DecisionReasonName(back[0].reason);
  EXPECT_GE(ShareOf(back, 3), 8);
}

TEST(ControllerTest, HysteresisHoldsForTheDwellAndSettlingWindowsAreNotRewarded) {
  FakeServer server(TwoPhases());
  Loop loop = MakeLoop(server, "ucb");
  const auto ds = loop.Run(30);
  for (size_t i = 1; i < ds.size(); ++i) {
    if (ds[i - 1].switched) {
      EXPECT_EQ(ds[i].reason, DecisionReason::kSettling) << i;
      EXPECT_FALSE(ds[i].rewarded) << i;
      EXPECT_FALSE(ds[i].switched) << i;  // settling, then at least one more window (dwell 2)
    }
  }
}

TEST(ControllerTest, WindowsWhileTheOldConfigurationDrainsAreSettlingNotRewards) {
  FakeServer server(TwoPhases());
  server.drain_after_switch = 3;
  Loop loop = MakeLoop(server, "ucb");
  const auto ds = loop.Run(40);
  int settling_after = 0;
  for (size_t i = 1; i < ds.size(); ++i) {
    if (!ds[i - 1].switched) continue;
    // The switch's window, then the windows the old one still drained in.
    for (size_t k = i; k < ds.size() && k < i + 2; ++k) {
      EXPECT_EQ(ds[k].reason, DecisionReason::kSettling) << k;
      EXPECT_FALSE(ds[k].rewarded) << k;
      ++settling_after;
    }
  }
  EXPECT_GT(settling_after, 0);
}

TEST(ControllerTest, TheWindowInWhichTheOldConfigurationFinishedDrainingIsSettlingToo) {
  // Its latencies include the end of the old backlog even though nothing
  // drains any more when it ends.
  FakeServer server(TwoPhases());
  server.drain_after_switch = 2;  // draining at the end of the switch's next window, not the one after
  Loop loop = MakeLoop(server, "ucb");
  const auto ds = loop.Run(40);
  int checked = 0;
  for (size_t i = 1; i + 2 < ds.size(); ++i) {
    if (!ds[i - 1].switched) continue;
    EXPECT_EQ(ds[i].reason, DecisionReason::kSettling) << i;
    EXPECT_EQ(ds[i + 1].reason, DecisionReason::kSettling) << i + 1;  // the drain ended inside it
    EXPECT_FALSE(ds[i + 1].rewarded) << i + 1;
    EXPECT_TRUE(ds[i + 2].rewarded) << i + 2 << " " << DecisionReasonName(ds[i + 2].reason);
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

// Steps one window at a time until the controller switches (at most 10).
Decision StepUntilSwitch(Loop& loop) {
  Decision d;
  for (int i = 0; i < 10 && !d.switched; ++i) {
    loop.now += 2'000'000;
    d = loop.controller->Step(loop.now);
  }
  return d;
}

TEST(ControllerTest, TheSwitchsWindowEndsWhenTheOldConfigurationHasDrained) {
  FakeServer server(TwoPhases());
  server.drain_after_switch = 1;
  Loop loop = MakeLoop(server, "ucb");
  EXPECT_FALSE(loop.controller->SettleDue());  // no switch yet
  const Decision sw = StepUntilSwitch(loop);
  ASSERT_TRUE(sw.switched);
  EXPECT_FALSE(loop.controller->SettleDue());  // the old configuration still drains
  server.draining_windows = 0;                 // now it has finished its backlog
  EXPECT_TRUE(loop.controller->SettleDue());
  loop.now += 40'000;  // the driver steps at once: a 40 ms settling window
  const Decision settle = loop.controller->Step(loop.now);
  EXPECT_EQ(settle.reason, DecisionReason::kSettling);
  EXPECT_FALSE(settle.rewarded);
  EXPECT_FALSE(settle.switched);
  EXPECT_FALSE(loop.controller->SettleDue());
  // The candidate's first whole window is its own: rewarded, and decided on
  // (the settling window counts towards the dwell of 2).
  loop.now += 2'000'000;
  const Decision first = loop.controller->Step(loop.now);
  EXPECT_TRUE(first.rewarded) << DecisionReasonName(first.reason);
  EXPECT_EQ(first.serving, sw.chosen);
  EXPECT_NE(first.reason, DecisionReason::kDwell);
}

TEST(ControllerTest, AShortSettlingWindowNeitherEndsTheLoadNorShiftsTheMix) {
  FakeServer server(TwoPhases());
  Loop loop = MakeLoop(server, "ucb");
  ASSERT_TRUE(StepUntilSwitch(loop).switched);
  ASSERT_TRUE(loop.controller->SettleDue());  // nothing to drain in the fake
  // 10 ms in which nothing was in the server (between two closed-loop
  // requests, say): no reason to call the next window warming.
  server.idle = true;
  loop.now += 10'000;
  const Decision settle = loop.controller->Step(loop.now);
  EXPECT_EQ(settle.reason, DecisionReason::kSettling);
  EXPECT_FALSE(settle.shift);
  server.idle = false;
  loop.now += 2'000'000;
  const Decision next = loop.controller->Step(loop.now);
  EXPECT_TRUE(next.rewarded) << DecisionReasonName(next.reason);
  EXPECT_FALSE(next.shift);

  // A few requests of another kind in a short settling window are not a
  // shift of the workload (the bandits would forget what they learnt).
  for (int i = 0; i < 20 && !loop.controller->SettleDue(); ++i) {
    loop.now += 2'000'000;
    loop.controller->Step(loop.now);
  }
  ASSERT_TRUE(loop.controller->SettleDue());
  server.phase = 1;
  loop.now += 10'000;
  const Decision other_mix = loop.controller->Step(loop.now);
  EXPECT_EQ(other_mix.reason, DecisionReason::kSettling);
  EXPECT_FALSE(other_mix.shift);
}

TEST(ControllerTest, SettleWindowKeepsTheWholeWindowAfterASwitch) {
  FakeServer server(TwoPhases());
  const auto candidates = FourCandidates();
  for (const auto& c : candidates) server.labels.push_back(c.Label());
  ControllerOptions o;
  o.algorithm = "ucb";
  o.settle_when_drained = false;
  auto c = Controller::Create(o, candidates, candidates[0], server);
  ASSERT_TRUE(c.ok()) << c.status().message();
  Loop loop{std::move(*c)};
  ASSERT_TRUE(StepUntilSwitch(loop).switched);
  EXPECT_FALSE(server.Draining());
  EXPECT_FALSE(loop.controller->SettleDue());
}

// 20 sleeps in progress: threads/8 and processes/2 cannot hold them (the
// first candidate, threads/2, serves at the start and is never screened
// while it serves); async can.
std::vector<FakeServer::Phase> ManySleeps() { return {{{30, 60, 25, 900}, 0, 0, /*wait_load=*/20}}; }

TEST(ControllerTest, TheCapacityScreenKeepsCandidatesThatCannotHoldTheWaitsOutOfTheChoice) {
  for (const char* algorithm : {"epsilon-greedy", "ucb", "thompson", "contextual"}) {
    FakeServer server(ManySleeps());
    Loop loop = MakeLoop(server, algorithm);
    const auto ds = loop.Run(30);
    for (const auto& d : ds) {
      EXPECT_NE(d.chosen, 1) << algorithm << " window " << d.window;
      EXPECT_NE(d.chosen, 2) << algorithm << " window " << d.window;
      if (d.rewarded) {  // a decision was made: every small candidate but the serving one is out
        std::vector<int> expected;
        for (int i : {0, 1, 2}) {
          if (i != d.serving) expected.push_back(i);
        }
        EXPECT_EQ(d.excluded, expected) << algorithm << " window " << d.window;
      }
    }
    EXPECT_GE(ShareOf(ds, 3), 25) << algorithm;  // async, from the first decision on
    const auto j = loop.controller->DecisionJson(ds.back());
    EXPECT_EQ(j["excluded"],
              nlohmann::json({"threads/2/fifo", "threads/8/fifo", "processes/2/fifo/forkserver"}));
  }
}

// threads/2 serving a load of 20 sleeps at once, with requests queued behind
// it: the first window already leaves it — warming or not — for the
// roomiest candidate that passes the screen (async), and the decision says
// escape. Without a queue the same window is only warming.
TEST(ControllerTest, AServingCandidateThatCannotHoldTheWaitsIsLeftAtOnceForTheRoomiest) {
  for (const char* algorithm : {"ucb", "contextual"}) {
    FakeServer server(ManySleeps());
    server.queue_length = 40;
    Loop loop = MakeLoop(server, algorithm);
    const auto ds = loop.Run(1);
    EXPECT_EQ(ds[0].reason, DecisionReason::kEscape) << algorithm;
    EXPECT_TRUE(ds[0].switched);
    EXPECT_EQ(ds[0].chosen, 3);
    EXPECT_EQ(loop.controller->DecisionJson(ds[0])["reason"], "escape");
    // Async holds the waits: no escape from it, whatever the queue.
    for (const auto& d : loop.Run(10)) EXPECT_NE(d.reason, DecisionReason::kEscape) << d.window;
  }
  FakeServer calm(ManySleeps());
  calm.queue_length = 3;  // below the bound: the waits are held, if barely
  Loop loop = MakeLoop(calm, "ucb");
  EXPECT_EQ(loop.Run(1)[0].reason, DecisionReason::kWarming);
}

TEST(ControllerTest, EscapeDueReadsTheWindowSoFarWithoutEndingIt) {
  FakeServer server(ManySleeps());
  Loop loop = MakeLoop(server, "ucb");
  server.queue_length = 40;
  EXPECT_FALSE(loop.controller->EscapeDue());  // the server cannot peek: only at a window's end
  server.peekable = true;
  EXPECT_TRUE(loop.controller->EscapeDue());
  EXPECT_EQ(server.peeks, 1);
  EXPECT_EQ(server.applies, 0);  // it only says so; Step() switches
  server.queue_length = 3;
  EXPECT_FALSE(loop.controller->EscapeDue());
  ControllerOptions no_screen;
  no_screen.capacity_screen = false;
  FakeServer other(ManySleeps());
  other.peekable = true;
  other.queue_length = 40;
  auto unscreened = Controller::Create(no_screen, FourCandidates(), FourCandidates()[0], other);
  ASSERT_TRUE(unscreened.ok());
  EXPECT_FALSE((*unscreened)->EscapeDue());
}

TEST(ControllerTest, WithoutTheScreenEveryCandidateIsTried) {
  FakeServer server(ManySleeps());
  Loop loop = MakeLoop(server, "ucb", "", /*capacity_screen=*/false);
  const auto ds = loop.Run(30);
  std::set<int> served;
  for (const auto& d : ds) served.insert(d.serving);
  EXPECT_EQ(served.size(), 4u);
  for (const auto& d : ds) EXPECT_TRUE(d.excluded.empty());
}

TEST(ControllerTest, TheScreenFollowsTheLoadAndAScreenedCandidateKeepsItsEstimate) {
  // Phase 0: no sleeps, threads/8 (1) is best; phase 1: 20 sleeps, async best
  // and threads/8 screened; back to phase 0: threads/8 again, at once.
  std::vector<FakeServer::Phase> phases = {{{300, 950, 350, 400}, 1, 0, 0}, {{30, 60, 25, 900}, 0, 0, 20}};
  FakeServer server(phases);
  Loop loop = MakeLoop(server, "contextual");
  loop.Run(25);
  server.phase = 1;
  const auto sleepy = loop.Run(15);
  for (const auto& d : sleepy) EXPECT_NE(d.chosen, 1) << d.window;
  EXPECT_EQ(sleepy.back().serving, 3);
  server.phase = 0;
  const auto back = loop.Run(6);
  EXPECT_EQ(back[0].chosen, 1) << DecisionReasonName(back[0].reason);
  EXPECT_TRUE(back[0].excluded.empty());
}

TEST(ControllerTest, AStalledServerScoresZeroRatherThanIdle) {
  FakeServer server(TwoPhases());
  Loop loop = MakeLoop(server, "ucb");
  loop.Run(3);
  server.stalled = true;
  const auto ds = loop.Run(3);
  bool rewarded_zero = false;
  for (const auto& d : ds) {
    EXPECT_NE(d.reason, DecisionReason::kIdle);
    if (d.rewarded) {
      EXPECT_EQ(d.reward, 0);
      rewarded_zero = true;
    }
  }
  EXPECT_TRUE(rewarded_zero);
}

TEST(ControllerTest, ACandidateThatFailsToStartIsNeverChosenAgain) {
  FakeServer server(TwoPhases());
  server.fails = 3;  // the best one
  Loop loop = MakeLoop(server, "ucb");
  const auto ds = loop.Run(60);
  int failures = 0;
  for (const auto& d : ds) {
    if (d.reason == DecisionReason::kFailed) {
      ++failures;
      EXPECT_NE(d.error.find("cannot allocate the workers"), std::string::npos);
      EXPECT_NE(d.error.find("async/fifo"), std::string::npos);
      EXPECT_FALSE(d.switched);
    }
    EXPECT_NE(d.serving, 3);
  }
  EXPECT_EQ(failures, 1);
  const auto stats = loop.controller->StatsJson();
  EXPECT_TRUE(stats["candidates"][3]["failed"].get<bool>());
  // It settles on the best of the rest.
  const std::vector<Decision> tail(ds.end() - 20, ds.end());
  EXPECT_GE(ShareOf(tail, 1), 14);
}

TEST(ControllerTest, IdleAndWarmingWindowsTeachNothingAndSwitchNothing) {
  FakeServer server(TwoPhases());
  server.idle = true;
  Loop loop = MakeLoop(server, "ucb");
  const auto ds = loop.Run(10);
  for (const auto& d : ds) {
    EXPECT_EQ(d.reason, DecisionReason::kIdle);
    EXPECT_FALSE(d.rewarded);
    EXPECT_FALSE(d.switched);
  }
  EXPECT_EQ(server.applies, 0);
  // The first window with load after idle ones began idle: not a reward.
  server.idle = false;
  const auto busy = loop.Run(2);
  EXPECT_EQ(busy[0].reason, DecisionReason::kWarming);
  EXPECT_FALSE(busy[0].rewarded);
  EXPECT_TRUE(busy[1].rewarded);
}

TEST(ControllerTest, LogsEveryDecisionAsJsonLinesAndShowsItselfInStats) {
  TempDir t;
  FakeServer server(TwoPhases());
  Loop loop = MakeLoop(server, "thompson", t.File("decisions.jsonl"));
  loop.Run(12);
  std::ifstream in(t.File("decisions.jsonl"));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    for (const char* key : {"window", "t_s", "observed", "features", "serving", "reward", "rewarded",
                            "chosen", "switched", "reason"}) {
      EXPECT_TRUE(j.contains(key)) << key;
    }
    const std::set<std::string> reasons = {"idle",  "warming", "settling", "failed",  "stay",
                                           "dwell", "untried", "explore",  "exploit", "within-margin"};
    EXPECT_TRUE(reasons.count(j["reason"].get<std::string>())) << j["reason"];
    EXPECT_EQ(j["features"].size(), static_cast<size_t>(kWorkloadFeatures));
    if (j["switched"].get<bool>()) {
      EXPECT_TRUE(j.contains("switch_start_ms"));
    }
    ++n;
  }
  EXPECT_EQ(n, 12);
  const auto stats = loop.controller->StatsJson();
  EXPECT_EQ(stats["algorithm"], "thompson");
  EXPECT_EQ(stats["switches"].get<int>(), loop.controller->switches());
  EXPECT_EQ(stats["candidates"].size(), 4u);
  EXPECT_EQ(stats["last_decisions"].size(), 10u);
  EXPECT_EQ(stats["current"], FourCandidates()[static_cast<size_t>(loop.controller->current())].Label());
}

TEST(ControllerTest, EveryDecisionReasonHasItsOwnName) {
  std::set<std::string_view> names;
  for (DecisionReason r :
       {DecisionReason::kIdle, DecisionReason::kWarming, DecisionReason::kSettling, DecisionReason::kFailed,
        DecisionReason::kStay, DecisionReason::kDwell, DecisionReason::kUntried, DecisionReason::kExplore,
        DecisionReason::kExploit, DecisionReason::kWithinMargin}) {
    EXPECT_NE(DecisionReasonName(r), "?");
    names.insert(DecisionReasonName(r));
  }
  EXPECT_EQ(names.size(), 10u);
  EXPECT_EQ(DecisionReasonName(DecisionReason::kWithinMargin), "within-margin");
}

TEST(ControllerTest, RejectsBadOptions) {
  FakeServer server(TwoPhases());
  const auto candidates = FourCandidates();
  ControllerOptions o;
  o.algorithm = "genetic";
  auto bad = Controller::Create(o, candidates, candidates[0], server);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("genetic"), std::string::npos);
  o.algorithm = "ucb";
  o.decisions_out = "/nonexistent/dir/decisions.jsonl";
  auto nolog = Controller::Create(o, candidates, candidates[0], server);
  ASSERT_FALSE(nolog.ok());
  EXPECT_NE(nolog.status().message().find("--decisions-out"), std::string::npos);
  o.decisions_out.clear();
  o.window_us = 1000;
  EXPECT_FALSE(Controller::Create(o, candidates, candidates[0], server).ok());
}

TEST(ControllerTest, TheBaselinesSwitchEveryDwellPeriodWhateverTheRewards) {
  FakeServer rr_server(TwoPhases());
  Loop rr = MakeLoop(rr_server, "round-robin");
  const auto ds = rr.Run(24);
  std::vector<int> order;
  for (const auto& d : ds) {
    if (d.switched) order.push_back(d.chosen);
  }
  // Every candidate in turn, again and again (a switch every 2 windows: the
  // settling window, then a decision).
  ASSERT_GE(order.size(), 8u);
  for (size_t i = 1; i < order.size(); ++i) EXPECT_EQ(order[i], (order[i - 1] + 1) % 4) << i;

  FakeServer random_server(TwoPhases());
  Loop random = MakeLoop(random_server, "random");
  std::set<int> served;
  for (const auto& d : random.Run(60)) served.insert(d.serving);
  EXPECT_EQ(served.size(), 4u);  // all of them, the bad ones too
  EXPECT_GE(Switches(random.Run(40)), 10);
}

TEST(ControllerTest, TheServersOwnConfigurationJoinsTheCandidates) {
  FakeServer server(TwoPhases());
  std::vector<Candidate> candidates = FourCandidates();
  const Candidate own{ExecutorKind::kThreads, 3, "lifo", StartMethod::kForkServer};
  ControllerOptions o;
  auto c = Controller::Create(o, candidates, own, server);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->candidates().size(), 5u);
  EXPECT_EQ((*c)->candidates()[static_cast<size_t>((*c)->current())], own);
}

}  // namespace
}  // namespace switchyard
