// Evaluate: the adaptive study's evaluation (studies/adaptive.toml) in virtual time. Every
// candidate serves the whole workload as a static configuration; the
// oracle's pick in each phase is the candidate with the best reward there
// (mean per-second ok/s / (1 + p99 ms)), the best static configuration the
// one with the best mean reward over the phases. Then each controller
// algorithm (the real Controller, stepped every window of virtual time)
// serves the same workload from the first candidate, and is scored against
// both, with its switches, lost requests and adaptation (control/adaptation.h).
//
// Every run is deterministic for a seed (the same seed as every run: the
// same requests in the same order, as long as the server keeps up). Runs go
// on up to `threads` threads; the result does not depend on how many.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "control/candidates.h"
#include "control/controller.h"
#include "control/adaptation.h"
#include "sim/phased_run.h"
#include "sim/sim_server.h"
#include "sim/sim_workload.h"

namespace switchyard {

struct EvaluationOptions {
  SimServerOptions server;
  RunOptions run;
  std::vector<std::string> controllers = {"ucb", "contextual", "random", "round-robin"};
  // The controllers' options; algorithm, window and bandit seed are set per run.
  ControllerOptions controller;
  // When set, each controller logs its decisions (--decisions-out's JSON
  // Lines, times virtual) to DIR/decisions-ALGORITHM.jsonl.
  std::string decisions_dir;
  double good_within = 0.05;  // "good": within 5% of the oracle's reward
  double target_adapt_s = 5;  // issue 7: a good candidate within 5 s of a shift
  unsigned threads = 1;
};

struct StaticRun {
  Candidate candidate;
  RunFigures run;
};

struct ControllerRun {
  std::string algorithm;
  RunFigures run;
  std::vector<Adaptation> adaptation;
  double vs_oracle = 0;       // mean reward / the oracle's
  double vs_best_static = 0;  // mean reward / the best static's
  bool shifts_met = false;    // after every shift: good by target_adapt_s and serving one then
};

struct Evaluation {
  std::vector<std::string> phases;
  std::vector<StaticRun> statics;
  std::vector<double> oracle_reward;           // per phase
  std::vector<size_t> oracle_pick;             // per phase: index into statics, by reward
  std::vector<size_t> oracle_pick_phase_reward;  // the same by phase_reward
  std::vector<std::set<std::string>> good;     // per phase: labels within good_within
  double oracle_mean = 0;
  size_t best_static = 0;
  std::vector<ControllerRun> controllers;
};

// InvalidArgument for no candidates, an unknown controller algorithm, or
// options the server or the runs refuse.
Result<Evaluation> Evaluate(const SimWorkload& workload, const std::vector<Candidate>& candidates,
                            const EvaluationOptions& options);

}  // namespace switchyard
