// AdaptiveMatrix: what an adaptive study measures (issue 7) — a phased
// workload run against every candidate configuration as a static server and
// against `serve --controller ALGO` for each controller, so the report can
// compare each controller with the best static configuration, the per-phase
// oracle (the best static candidate of each phase) and the baselines.
//
// A study file with an [adaptive] table instead of [server]/[[workload]]:
//
//   name = "adaptive"
//   repetitions = 3
//   warmup = "1s"                  # the first phase's load, not measured
//   [adaptive]
//   candidates = "adaptive_candidates.toml"  # serve --candidates format (control/candidates.h)
//   phases = "adaptive_phases.toml"          # bench --phases format (loadgen/load_phase.h)
//   controllers = ["ucb", "contextual", "random", "round-robin"]
//   window = "1s"                  # the controllers' --window
//   io_threads = 2                 # every server's --io-threads (async candidates run on those loops)
//   args = []                      # extra `switchyard serve` flags for every run
//
// db_rows (top level) sizes the io database when a phase sends io requests;
// duration does not apply (the phases say how long). File names are
// relative to the study file. Every key is checked before
// anything runs, like the other study kinds: unknown keys, wrong types, an
// unknown controller (control/controller.h ControllerAlgorithmNames()), a
// candidates or phases file that is missing or wrong (their own file:line
// errors), a flag in `args` the study sets itself.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/toml_reader.h"
#include "control/candidates.h"
#include "core/status.h"
#include "loadgen/load_phase.h"

namespace switchyard {

// One server of a repetition: a candidate served statically, or a
// controller choosing among all candidates.
struct AdaptiveRunConfig {
  enum class Role { kStatic, kController };
  Role role = Role::kStatic;
  std::string name;  // the candidate's Label() (static) or the controller's algorithm

  bool is_static() const { return role == Role::kStatic; }
  // Stable across runs of the same file (resuming matches on it), unique
  // within a study: "static.threads/16/fifo", "controller.ucb".
  std::string Id() const;
};

struct AdaptiveMatrix {
  std::string candidates_path;  // as resolved against the study file's directory
  std::string phases_path;
  std::vector<Candidate> candidates;
  std::vector<LoadPhase> phases;
  std::vector<std::string> controllers;
  int64_t window_us = 1'000'000;
  int io_threads = 2;
  std::vector<std::string> args;  // extra serve flags, as the study file gives them
  // One repetition's runs in the order they run: static candidates and
  // controllers interleaved (candidate 1, controller 1, candidate 2, ...,
  // then the rest of the longer list), so a slow drift of the machine does
  // not favour either side.
  std::vector<AdaptiveRunConfig> runs;

  // `switchyard serve` flags of `run` (without --port), `decisions_out` the
  // controller's --decisions-out file and `seed` its --controller-seed.
  // A controller's server starts with the first candidate's configuration.
  std::vector<std::string> ServeArgs(const AdaptiveRunConfig& run, const std::string& decisions_out,
                                     int seed) const;
  // The candidate flags: --executor, --policy, --workers (not async),
  // --start (processes), --offload (async), --io-threads.
  std::vector<std::string> CandidateArgs(const Candidate& c) const;
  bool UsesDb() const;
};

// Reads the [adaptive] table of `root` (there must be one); `study_file`
// is the path the relative file names are resolved against.
Result<AdaptiveMatrix> ParseAdaptiveMatrix(const TomlTable& root, const std::string& study_file);

}  // namespace switchyard
