// The adaptive records of a study's results (`kind` "adaptive": one server
// through every phase each, docs/results-schema.md) and the comparison the
// report draws from them (issue 7):
//
//   - per static candidate and per controller, the median over repetitions
//     of each phase's `reward` (mean over the phase's seconds of
//     ok / (1 + p99 ms)), `phase_reward` (phase ok/s / (1 + the phase's p99
//     ms)) and p99;
//   - the oracle of a phase: the static candidate with the best median in it
//     (per figure); the best static configuration: the candidate with the best
//     mean over the phases of its medians;
//   - per controller: its mean over the phases / the oracle's mean (target
//     >= 0.9) and / the best static's (target > 1), for both figures, and the
//     same per repetition (against that repetition's static runs);
//   - time to adapt after each shift: with "good" = the candidates whose
//     median `reward` in the phase is within 5% of the oracle's, the seconds
//     after the phase began until the controller first served a good one, and
//     whether it served one 5 s in (target: both, after every shift, in every
//     run); switches; lost requests.
//
// The record itself is results/run_record.h's; report/run_view.h takes these
// figures from it. This header holds the model and the comparison.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "report/figure.h"

namespace switchyard::report {

inline constexpr double kAdaptiveTargetVsOracle = 0.9;  // issue 7: a controller's mean reward / the oracle's
inline constexpr double kAdaptiveTargetAdaptS =
    5.0;  // issue 7: serving a good candidate this soon after a shift
inline constexpr double kAdaptiveGoodWithin = 0.05;  // "good": within 5% of the oracle's reward

// One phase of a run (the record's `phases[i]`).
struct AdaptivePhase {
  std::string name;
  double start_s = 0;  // since measuring began
  double duration_s = 0;
  Figure reward;        // mean over the phase's whole seconds of ok / (1 + p99 ms)
  Figure phase_reward;  // ok/s / (1 + p99 ms of the whole phase)
  Figure p99_ms;
  Figure ok_rps;
  double sent = 0;
  double errors = 0;
  double lost = 0;  // sent - final outcomes + errors
};

// One second of a run's timeline (the record's `timeseries[i]`).
struct AdaptiveSecond {
  double t_s = 0;                // start of the second, since measuring began
  std::optional<int64_t> phase;  // none: it straddles a boundary or lies past the end
  double reward = 0;
};

// One controller decision on the load's timeline (the record's `decisions[i]`).
struct AdaptiveDecision {
  double at_s = 0;  // end of its window, seconds since measuring began (negative: during the warm-up)
  std::string serving;
  bool switched = false;
  std::string reason;
};

// An adaptive record (ok or failed: the fields present).
struct AdaptiveRun {
  bool is_static = true;
  std::string name;  // the candidate's label (static) or the controller's algorithm
  int64_t repetition = 0;
  Figure window_s;                      // controllers
  std::vector<std::string> candidates;  // the study's candidate labels, in file order
  std::vector<AdaptivePhase> phases;
  std::vector<AdaptiveSecond> seconds;
  std::vector<AdaptiveDecision> decisions;
  std::optional<int64_t> switches;
};

// What a controller's run did in one phase.
struct RunAdaptation {
  Figure adapt_s;  // seconds after the phase began until it first served a good candidate; none: never
  bool good_at_target = false;  // serving a good one kAdaptiveTargetAdaptS in (at the end of a shorter phase)
  Figure good_share;            // share of the phase served by good candidates
};

// Per phase, `run`'s adaptation given each phase's good candidates (see
// above). Window k of the decisions covers [at_s - window_s, at_s], served
// by its `serving`; the gap before it (the previous step's switch) by the
// previous window's.
std::vector<RunAdaptation> AdaptationOf(const AdaptiveRun& run,
                                        const std::vector<std::set<std::string>>& good);

// A controller's adaptation in one phase over its runs.
struct PhaseAdaptation {
  int runs = 0;
  int never = 0;           // runs that never served a good candidate in the phase
  int good_at_target = 0;  // runs serving a good one kAdaptiveTargetAdaptS in
  Figure adapt_s;          // median over the runs that did
  Figure max_adapt_s;      // slowest of them
  Figure good_share;       // median
};

// A static candidate or a controller, aggregated over its ok runs.
struct AdaptiveRow {
  std::string name;
  bool is_static = true;
  int runs = 0;
  std::vector<int64_t> repetitions;
  std::vector<Figure> reward, phase_reward, p99_ms;  // per phase, medians
  Figure mean_reward, mean_phase_reward;             // over the phases, of the medians
  double sent = 0, errors = 0, lost = 0;             // sums over the runs
  // Controllers only.
  Figure vs_oracle, vs_best_static;              // reward
  Figure phase_vs_oracle, phase_vs_best_static;  // phase_reward
  Figure rep_vs_oracle_min, rep_vs_oracle_max;   // per repetition, reward
  Figure rep_vs_best_min, rep_vs_best_max;
  Figure switches;                          // median
  std::vector<PhaseAdaptation> adaptation;  // per phase
  std::optional<bool> shifts_met;           // none: a single phase (no shift)
  // Controllers: windows logged "idle" while the load ran throughout (a
  // stall the controller took for no load), over every run; the longest
  // step between two windows (mostly a switch), seconds.
  int idle_windows_under_load = 0;
  double longest_step_s = 0;
};

struct AdaptiveComparison {
  std::vector<std::string> phases;  // names, of the first run
  std::vector<double> phase_start_s, phase_duration_s;
  std::vector<AdaptiveRow> statics;      // in the study's candidate order (first appearance)
  std::vector<AdaptiveRow> controllers;  // in order of first appearance
  std::vector<Figure> oracle_reward, oracle_phase_reward, oracle_p99_ms;  // p99: of the reward oracle's pick
  std::vector<std::string> oracle_pick, oracle_phase_pick;
  Figure oracle_mean, oracle_phase_mean;
  std::string best_static, best_static_phase;  // by reward and by phase_reward
  Figure best_mean, best_phase_mean;
  std::vector<std::set<std::string>> good;  // per phase
  std::vector<std::string> notes;           // runs left out (other phases than the first run's)
};

// The comparison over every ok adaptive run; empty (no phases) without one.
AdaptiveComparison CompareAdaptive(const std::vector<AdaptiveRun>& runs);

}  // namespace switchyard::report
