// RunAdaptiveServer: one run of an adaptive study — a fresh `switchyard
// serve` (a static candidate, or a controller choosing among the
// candidates), the study's phases driven against it in-process with RunLoad
// (the warm-up with the first phase's load), the server stopped — turned into
// the run's results record (docs/results-schema.md, "adaptive records").
//
// The figures per phase are the ones the report compares
// (report/adaptive_results.h):
//   reward        the mean over the phase's whole seconds of
//                 ok / (1 + p99 ms) of that second — the controller's
//                 default reward per window, averaged; a second with no
//                 answer scores 0;
//   phase_reward  ok/s of the phase / (1 + p99 ms of the whole phase):
//                 stricter, a few bad seconds set the phase's p99;
//   p99_ms, ok_rps, sent, requests (final outcomes), errors, and
//   lost = sent - requests + errors (never answered, or answered with an error).
// A controller's decisions file is read back and each decision placed on the
// load's timeline (`at_s`: seconds since measuring began), from its
// `monotonic_s` (CLOCK_MONOTONIC, the clock of SteadyClock::Now() here).
//
// Thread-safety: blocks the caller for the run; writes only the run's
// decisions file in the work directory; one run per work directory at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loadgen/load_generator.h"
#include "results/run_record.h"
#include "study/adaptive_matrix.h"

namespace switchyard {

struct AdaptiveRunSetup {
  std::string binary;    // the switchyard to serve with
  std::string work_dir;  // the controllers' decisions files: decisions-<controller>-r<repetition>.jsonl
  std::string db_path;   // --db for phases with io requests; empty: none
  int64_t warmup_us = 1'000'000;
  int64_t ready_timeout_us = 60'000'000;
};

// `record` (the study's fields: schema, study, cell, ...) made an adaptive
// record: its `config`, `phases`, `timeseries`, for a controller
// `decisions` and `switches`, and its status: ok, or failed with `error`
// (the server did not start or died, the load could not reach it). Errors
// of single requests do not fail a run: they are its figures.
results::RunRecord RunAdaptiveServer(const AdaptiveRunSetup& setup, const AdaptiveMatrix& matrix,
                                     const AdaptiveRunConfig& run, int repetition, results::RunRecord record);

// Sets `phases` (the per-phase figures above, each with its `start_s` on the
// measured window) and `timeseries` (per second: t_s, phase — null for a
// second that straddles a phase boundary or lies past the end — sent,
// requests, ok, errors, p99_ms, reward) of `body` from a load result.
void PutAdaptiveFigures(const std::vector<LoadPhase>& phases, const LoadResult& result,
                        results::AdaptiveBody& body);

// The decisions of a `--decisions-out` file as the record keeps them:
// window, at_s (monotonic_s - measure_start_s), serving, chosen, switched,
// reason, reward. Lines that are not decisions are skipped.
std::vector<results::Decision> AlignedDecisions(const std::string& decisions_text, double measure_start_s);

// The progress line of an ok record: per phase reward, p99 and lost; switches.
std::string AdaptiveProgressLine(const results::AdaptiveBody& body);

}  // namespace switchyard
