// Controller: the adaptive meta-scheduler (issue 7). Every window it reads
// what the server did (WindowStats), scores it (reward.h), tells the bandit
// which configuration earned that, asks the bandit which to run next, and
// switches the server to it through live reconfiguration — with hysteresis,
// so noise does not make it flap.
//
// One window, Step():
//   1. observe the window that just ended; it is *rewarded* to the candidate
//      that served it unless it was idle (nothing admitted or answered),
//      warming (the first after an idle one: load began inside it) or
//      settling (a switch happened in it, or the configuration switched away
//      from was still draining its backlog at its end: the new workers
//      starting and the old one's queue are the switch's cost, logged, not
//      the new candidate's steady state). A window with requests in the
//      server but none answered is a stall, not idle: it scores 0;
//      With settle_when_drained (the default), the switch's window is only
//      as long as the switch's cost: the driver (Run, the simulator) ends it
//      as soon as the configuration switched away from has finished what it
//      admitted (SettleDue()), at the latest after a whole window, so the
//      candidate's first full window is its own and a visit costs one
//      window plus the drain instead of two windows;
//   2. choose: the bandit proposes (given the window's workload features, for
//      the contextual bandit); the controller holds while fewer than
//      min_dwell_windows have passed since the last switch; otherwise it
//      switches to an untried candidate, to one the bandit explores, or to
//      one whose estimate beats the current one's by switch_margin. The
//      capacity screen keeps the bandit off candidates that cannot hold the
//      window's waits (see below);
//   3. switch: ControlledServer::Apply; a candidate that fails to start is
//      disabled for good (logged), and the server keeps the last good one;
//   4. log the decision (JSON Lines, --decisions-out) and keep the last few
//      for /stats.
//
// Trials (canary = true, the default, on a server that can run one): a
// switch proposed to explore or exploit is not made at once. The candidate
// first runs as a canary beside the serving configuration, taking
// canary_share of new requests (10% by default), as a serving fleet rolls a
// change out to a slice of its traffic. Each window of the trial is scored
// on each part's own replies — throughput (and goodput, errors) scaled up by
// the part's share of the window's requests, so both are on the whole
// load's scale, and each part's own p99 — and the bandit learns both. After
// canary_windows scored windows (at least kMinTrialRequests canary requests
// each), the candidate is promoted — it serves everything, without a
// restart: a switch — only when the evidence says it wins by switch_margin:
// the mean of the windows' log ratios (canary reward over serving reward),
// less kEvidenceZ standard errors, reaches ln(1 + switch_margin). The
// noise is the largest of: what every trial's windows so far measured
// (each window's deviation from its trial's mean, once there are two
// degrees of freedom), kTrialNoisePrior, and √2 times the relative noise of
// the serving candidate's full windows (see Convergence). Otherwise the trial ends ("reject") and its queued
// requests go back to the serving configuration. A canary whose queue grows past the escape bound,
// or one of whose worker processes dies, is cut off at once (Run() looks
// every kEscapePollUs), its queued requests returned, and it is scored 0.
// The trial costs the serving configuration nothing but its share of the
// requests, and a bad candidate costs only its share, for at most its
// windows — where a switch to explore made every request pay. A POST
// /admin/config during a trial ends the canary first ("canary-ended").
// The comparison is at unequal loads (the canary serves a tenth of them):
// where a candidate's latency rises with its load, the slice flatters it,
// which is one more reason a promotion needs evidence beyond the noise; the
// full windows after it are the candidate's own (the evidence below).
//
// Escape: the capacity screen applied to the serving candidate. When the
// load's waits outgrow the serving configuration (it fails the screen, and
// requests queue: at least kEscapeQueuePerWorker per worker) while another
// candidate passes it, every second spent there builds a backlog that the
// next configuration must work off (the server moves it there, but at a
// machine near its limit that still takes seconds). So the controller
// leaves at once, whatever the dwell and whether the window teaches
// anything: at a window's end, and between steps — Run() peeks at the
// window every kEscapePollUs and steps early when it sees it. The target is
// the best estimate that passes the screen and beats the serving one, else
// the roomiest that passes (async before thread and process pools, then the
// most workers or offload threads): nothing is known of it yet, and room is
// what was missing.
//
// The capacity screen: exploring a candidate costs more than its window
// when it cannot carry the load — 64 clients' 50 ms sleeps on 2 worker
// processes queue up a 1.5 s backlog that outlives the visit and sets the
// p99 of everything behind it. So a candidate whose workers cannot hold the
// waits the load keeps in progress (WaitDemand(); a thread or process worker
// holds one wait, async's event loops any number) is not chosen in that
// window: workers < kScreenShare x WaitDemand(). It stays a
// candidate — the screen is recomputed every window — and keeps what it has
// learnt. Off with capacity_screen = false.
//
// Convergence: a bandit explores forever by design (ucb's bonus grows back
// for an arm not played, thompson draws, epsilon-greedy flips its coin), and
// on a stationary workload whose candidates score within the windows' noise
// of each other every such visit is a switch whose cost every request in
// flight pays. So the controller keeps its own evidence per candidate for
// the current workload regime (since the last shift of the mix): the
// rewarded windows each candidate served, and the visits made to explore
// it (every trial on a canary counts as a visit, an exploiting one too). It goes where the bandit proposes to explore only while
//   - the candidate has had fewer than max_visits such visits in the
//     regime, and
//   - its interval — mean + kEvidenceZ standard errors, the noise pooled
//     from every candidate's windows in the regime — still reaches the
//     serving candidate's mean times (1 + switch_margin): it might win.
// and exploits (a switch to the best estimate) only when the regime's
// evidence, where both candidates have some, separates them by the margin:
// the difference of their means, less kEvidenceZ standard errors of the
// difference, is at least switch_margin of the serving one's mean. Otherwise the decision says "converged". A shift of the mix
// clears the evidence (the regime is new) and exploration resumes. The
// baselines (random, round-robin) choose blindly, as their definitions say.
//
// Workload shifts: the discounting bandits forget slowly (discount 0.99:
// ~100 windows), so after the mix changes they would keep the old workload's
// best for dozens of windows. A window whose mix of request kinds differs
// from the recent mix (a moving average) by more than shift_distance in any
// kind's share is a shift: the bandit is told (Bandit::OnWorkloadShift,
// keeping shift_keep of what it learnt), and the decision says "shift".
// Only the mix counts: rates and service times change with the configuration
// itself.
//
// Threading: Step() and Run() belong to one thread (Run's); Stop() and
// StatsJson() may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/bandit.h"
#include "control/candidates.h"
#include "control/reward.h"
#include "control/window_stats.h"
#include "core/status.h"
#include "core/thread_annotations.h"

namespace switchyard {

// What the controller needs of a server (the real one, or a fake in tests).
class ControlledServer {
 public:
  virtual ~ControlledServer() = default;
  // The figures since the previous call (the first: since the server started).
  virtual WindowStats Observe() = 0;
  // Switches to `candidate`: returns once it serves new requests, or with the
  // error that kept it from starting (the previous configuration still
  // serving). `start_us`: how long the new workers took to start.
  virtual Status Apply(const Candidate& candidate, int64_t* start_us) = 0;
  // True while a configuration switched away from still finishes what it had
  // admitted: its backlog's latency is not the new configuration's.
  virtual bool Draining() const { return false; }
  // The figures since the last Observe(), without ending the window (what
  // the escape check reads between steps); nullopt where the server cannot
  // say (then the controller escapes only at a window's end).
  virtual std::optional<WindowStats> Peek() { return std::nullopt; }

  // The canary (see Trials above): a second configuration beside the
  // serving one, taking `share` of new requests. A server that cannot run
  // one says so (the default); the controller then explores by switching.
  virtual bool CanRunCanary() const { return false; }
  // Starts it; returns once it takes requests (start_us: its workers'
  // start), or with the error that kept it from starting (nothing changed).
  virtual Status StartCanary(const Candidate& /*candidate*/, double /*share*/, int64_t* /*start_us*/) {
    return Unavailable("this server runs no canary");
  }
  // Ends it: promoted (it serves every request; the serving one's backlog
  // moves to it) or not (its backlog moves back; it finishes what it had
  // started). An error when none runs (a switch ended it).
  virtual Status EndCanary(bool /*promote*/) { return Unavailable("this server runs no canary"); }
  // The last Observe()'s window by who served it: [0] the serving
  // configuration, [1] the canary (arrival_rate = admitted, throughput,
  // goodput, p95_ms, p99_ms, error_rate).
  virtual std::array<WindowStats, 2> Parts() const { return {}; }
  // The canary now.
  struct CanaryState {
    bool running = false;  // false also when a switch (POST /admin/config) ended it
    double queued = 0;
    int workers = 0;
    uint64_t worker_restarts = 0;  // processes that died in it
  };
  virtual CanaryState Canary() const { return {}; }
};

// What --controller takes besides static: the learning bandits
// (BanditNames()) and the baselines random and round-robin.
std::vector<std::string_view> ControllerAlgorithmNames();
// The bandit behind `algorithm`; InvalidArgument naming every choice for an
// unknown name, or the problem with the options.
Result<std::unique_ptr<Bandit>> MakeControllerBandit(std::string_view algorithm, int arms,
                                                     const BanditOptions& options);

struct ControllerOptions {
  std::string algorithm = "ucb";  // ControllerAlgorithmNames()
  int64_t window_us = 2'000'000;
  RewardSpec reward;
  int min_dwell_windows = 2;        // windows to stay after a switch before another
  double switch_margin = 0.05;      // an exploiting switch must promise this much more
  bool capacity_screen = true;      // see the top of this file
  bool settle_when_drained = true;  // end the switch's window when the old configuration has drained
  double shift_distance = 0.3;  // a change in a kind's share of the mix that is a workload shift (> 1: never)
  double shift_keep = 0.05;     // the share of what was learnt a discounting bandit keeps at a shift
  int max_visits = 2;           // visits to explore a candidate per workload regime (see Convergence)
  bool canary = true;           // trials on a canary (see Trials) where the server can run one
  double canary_share = 0.1;    // the canary's share of new requests, (0, 0.5]
  int canary_windows = 2;       // scored windows a trial lasts
  BanditOptions bandit;
  std::string decisions_out;  // JSON Lines file; empty: none
  int kept_decisions = 10;    // for /stats
};

// Why a window ended as it did. The first four say what the window taught
// (nothing: no reward); the others what the controller chose after learning
// from it. DecisionReasonName gives the word the decisions log writes.
enum class DecisionReason {
  kIdle,          // no load: nothing admitted, answered or waiting
  kWarming,       // the first window after an idle one: load began inside it
  kSettling,      // a switch happened in it, or its predecessor still drained
  kFailed,        // the chosen candidate did not start (disabled for good)
  kStay,          // the bandit proposed the serving candidate
  kDwell,         // a switch was proposed before min_dwell_windows passed
  kUntried,       // switched to a candidate never served
  kExplore,       // switched to a candidate not the best estimate
  kExploit,       // switched to the best estimate, beating the serving one by the margin
  kWithinMargin,  // the best estimate beats the serving one by less than the margin
  kEscape,        // the serving candidate could not hold the load's waits: left at once
  kConverged,     // the proposed switch lacks evidence that it could win (see Convergence)
  kCanary,        // a trial began: the proposed candidate runs as a canary
  kTrial,         // the trial goes on
  kPromote,       // the canary won its trial and now serves everything (a switch)
  kReject,        // the canary did not win its trial; it ended
  kCutOff,        // the canary's queue passed the bound, or a worker died in it: ended at once
  kCanaryEnded,   // a switch (POST /admin/config) ended the canary
};
// "idle", "warming", "settling", "failed", "stay", "dwell", "untried",
// "explore", "exploit", "within-margin", "escape", "converged", "canary", "trial",
// "promote", "reject", "cut-off", "canary-ended".
std::string_view DecisionReasonName(DecisionReason reason);

struct Decision {
  int64_t window = 0;  // 1, 2, ...
  double t_s = 0;      // end of the window, seconds since the controller started
  int64_t at_us = 0;  // end of the window on Step's clock (Run: CLOCK_MONOTONIC, comparable across processes)
  WindowStats observed;
  std::vector<double> features;
  int serving = 0;  // the candidate that served the window
  double reward = 0;
  bool rewarded = false;  // fed to the bandit (not idle, no switch in it)
  int chosen = 0;         // the candidate for the next window
  bool switched = false;
  std::vector<int> excluded;  // candidates the capacity screen kept out of this choice
  bool shift = false;         // the mix shifted in this window (see above)
  DecisionReason reason = DecisionReason::kStay;
  int64_t switch_start_us = 0;  // the new workers' start, when switched (or a canary started)
  std::string error;            // why a switch failed or a canary was cut off
  std::string note;             // how a trial's canary scored (promote, reject)
  // A trial that ran through the window (see Trials): the candidate in the
  // canary (-1: none), its share of the window's requests, each part's
  // figures and reward (throughput scaled to the whole window).
  int trial = -1;
  double canary_share = 0;
  WindowStats serving_part;
  WindowStats canary_part;
  double serving_reward = 0;
  double canary_reward = 0;
};

// The capacity screen's margin: a candidate is kept out while its workers
// are fewer than this share of the waits in progress.
inline constexpr double kScreenShare = 0.9;
// Escape (above): queued requests per worker of the serving configuration
// (at least kEscapeMinQueue) that confirm it cannot keep up; how often Run()
// looks between steps, and the least time into a window before it may.
inline constexpr double kEscapeQueuePerWorker = 4;
inline constexpr double kEscapeMinQueue = 16;
inline constexpr int64_t kEscapePollUs = 100'000;
// Convergence (above): standard errors an interval spans.
inline constexpr double kEvidenceZ = 2.0;
// Trials (above): the canary requests a window needs to be scored.
inline constexpr double kMinTrialRequests = 20;
// Trials: the standard deviation of a window's log ratio assumed until the
// trials have measured it (5%: this machine's windows, 2 s under load).
inline constexpr double kTrialNoisePrior = 0.05;

// The waits the load asks to hold at once: the larger of wait_load (the
// sleeps admitted, by Little's law — no more than the serving configuration
// lets in, under a closed loop) and the requests in the server times the
// sleeps' share of the mix (those waiting for a worker count too).
double WaitDemand(const WindowStats& w);

// How many waits (sleeps) `candidate` holds at once: its workers, or
// unbounded for async (infinity).
double WaitCapacity(const Candidate& candidate);

class Controller {
 public:
  // `initial`: the index of the candidate the server runs now (the server's
  // configuration is added to the candidates when it is not one of them).
  // InvalidArgument for an unknown algorithm, bad options, no candidates, or
  // a decisions file that cannot be opened.
  static Result<std::unique_ptr<Controller>> Create(const ControllerOptions& options,
                                                    std::vector<Candidate> candidates,
                                                    const Candidate& initial, ControlledServer& server);
  ~Controller();

  // One window (see above), ending at `now_us` (any monotonic clock, us).
  Decision Step(int64_t now_us);

  // True when a trial's canary must end now: a switch ended it, its queue
  // passed the bound or a worker died in it. Step's thread only.
  bool CutOffDue() const;

  // True when the window so far (ControlledServer::Peek) shows the serving
  // candidate failing the capacity screen with a queue behind it while
  // another candidate passes: the driver should Step() now (see Escape
  // above). Step's thread only.
  bool EscapeDue();

  // True when the driver should Step() now rather than at the window's end:
  // the last step switched (settle_when_drained on) and the configuration
  // switched away from no longer drains. Step's thread only.
  bool SettleDue() const;

  // Step() every window_us (after a switch, at SettleDue()) until Stop();
  // call from the controller's thread.
  void Run();
  void Stop();

  // For /stats: algorithm, reward, window, current candidate, switches,
  // failed candidates, per-candidate estimates and the last decisions.
  nlohmann::json StatsJson() const;
  nlohmann::json DecisionJson(const Decision& d) const;

  int switches() const { return switches_.load(); }
  int current() const { return current_.load(); }
  const std::vector<Candidate>& candidates() const { return candidates_; }

 private:
  Controller(const ControllerOptions& options, std::vector<Candidate> candidates, int initial,
             ControlledServer& server, std::unique_ptr<Bandit> bandit, std::FILE* log);

  // Step's parts, in order (the numbers at the top of this file).
  // 0. Tells the bandit when the window's mix has shifted (d.shift).
  void NoteWorkloadShift(Decision& d);
  // 1. Rewards the serving candidate with the window, or says why the
  //    window teaches nothing (then nothing is chosen after it).
  std::optional<DecisionReason> Learn(Decision& d, bool short_window, bool draining);
  // 2. The candidate the bandit proposes, with d.reason saying whether to
  //    switch to it (untried, explore, exploit) or not.
  int Choose(Decision& d);
  // Convergence: one candidate's rewarded windows and exploring visits in
  // the current regime.
  struct Evidence {
    int n = 0;
    double sum = 0;
    double sum_sq = 0;
    int visits = 0;
    double Mean() const { return n > 0 ? sum / n : 0; }
  };
  // The reward noise pooled over the regime's candidates (within-candidate
  // standard deviation); negative while no candidate has two windows.
  double PooledNoise() const;
  // Whether exploring `proposed` could still find it better than `serving`.
  bool CouldWin(int proposed, int serving) const;
  // Whether the regime's evidence separates `proposed` above `serving`.
  bool Separated(int proposed, int serving) const;

  // Whether the serving candidate fails the screen with a queue behind it
  // (in `w`); sets *target to where to go (-1: nowhere passes the screen).
  bool MustEscape(const WindowStats& w, int* target) const;
  // 3. Switches the server to `proposed`, or disables it (d.reason failed).
  void SwitchTo(Decision& d, int proposed) EXCLUDES(mu_);
  // Trials (see above): whether this server and algorithm run them; starts
  // one for `proposed` (d.reason canary, or failed); one window of the
  // running trial: scores it, ends it (promote, reject, cut-off) or goes on.
  bool UsesCanary() const;
  void StartTrial(Decision& d, int proposed);
  DecisionReason TrialStep(Decision& d, bool short_window);
  // Why the canary must end now ("" when it need not).
  std::string CutOffReason(const ControlledServer::CanaryState& state) const;
  // A switch to `to` made (d.switched; the dwell starts again).
  void NoteSwitch(Decision& d, int to);
  // `candidate` could not start: disabled for good (d.reason failed).
  void DisableFailed(Decision& d, int candidate, const Status& why) EXCLUDES(mu_);
  // 4. Logs `d` and keeps it, with the estimates, for /stats.
  void Record(const Decision& d) EXCLUDES(mu_);

  const ControllerOptions options_;
  const std::vector<Candidate> candidates_;
  ControlledServer& server_;
  std::unique_ptr<Bandit> bandit_;
  std::FILE* log_;  // owned; null without --decisions-out

  // Step's thread only.
  int64_t start_us_ = -1;
  int64_t last_step_us_ = -1;
  int64_t windows_ = 0;
  int64_t since_switch_ = 1'000'000;   // windows since the last switch
  bool switched_last_window_ = false;  // the window now running is the switch's (settling)
  bool idle_last_window_ = true;       // the first window starts from nothing
  bool draining_last_step_ = false;    // the old configuration still drained when the last window ended
  std::vector<double> recent_mix_;     // moving average of the mix's shares; empty before load
  std::vector<Evidence> regime_;       // per candidate, since the last shift
  int trial_ = -1;                     // the candidate in the canary; -1: no trial
  int trial_windows_ = 0;              // windows it ran
  std::vector<double> trial_log_ratios_;  // ln(canary reward / serving reward), per scored window
  double trial_noise_ss_ = 0;          // Σ squared deviations from their trial's mean, every trial so far
  int trial_noise_dof_ = 0;            // and its degrees of freedom
  uint64_t trial_restarts_ = 0;        // the canary's worker restarts at its start

  std::atomic<int> current_{0};
  std::atomic<int> trial_live_{-1};  // trial_, for /stats
  std::atomic<int> switches_{0};

  mutable Mutex mu_;
  std::condition_variable stop_cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  std::deque<Decision> recent_ GUARDED_BY(mu_);
  std::vector<bool> failed_ GUARDED_BY(mu_);
  std::vector<ArmEstimate> estimates_ GUARDED_BY(mu_);  // as of the last step
};

}  // namespace switchyard
