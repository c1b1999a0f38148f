// RunStudy: runs every cell of a study and appends one JSON Lines record per
// (cell, repetition) to the results file (docs/results-schema.md).
//
// For each cell: start `switchyard serve` with the cell's configuration on a
// free loopback port, wait until it is ready, warm up, reset its statistics,
// read its /stats, measure with the load generator, read /stats again, stop
// the server cleanly. Server counters (CPU, context switches, faults) are the
// difference of the two reads; latency percentiles cover the measured window
// only.
//
// A pipeline study (StudyKind::kPipeline) instead first generates its data set
// in the work directory (once: a later run or resume reuses it), then runs
// each (cell, repetition) as a child `switchyard load` with a timeout
// (study/pipeline_cell_run.h) and records its summary.
//
// An adaptive study (StudyKind::kAdaptive) runs, per repetition, every
// candidate as a static server and every controller, interleaved, each a
// fresh server driven through all the phases (study/adaptive_run.h).
//
// Resuming: a (cell, repetition) already recorded as "ok" in the results file
// is not run again; failed ones are retried. A cell that fails (the server
// does not start, dies, or the load cannot reach it; the load run exits
// non-zero, crashes or times out) is recorded as failed
// with its reason and the study goes on. Records are appended whole
// (core/file_util.h), so an interrupted study never leaves half a record.
#pragma once

#include <functional>
#include <string>

#include "core/status.h"
#include "study/study_spec.h"

namespace switchyard {

struct StudyOptions {
  std::string binary = "/proc/self/exe";  // the switchyard to serve (or load) with
  std::string results_path;               // JSON Lines, appended to
  // The io database and the admin token live here; for a pipeline study the
  // data set and each run's JSON summary and output log.
  std::string work_dir;
  // One line per event (a cell starting, its figures, a failure); may be empty.
  std::function<void(const std::string&)> log;
};

struct StudyTally {
  int runs = 0;      // (cell, repetition) pairs in the study
  int skipped = 0;   // already done before this invocation
  int ok = 0;        // ran now and succeeded
  int failed = 0;    // ran now and failed
};

// InvalidArgument when the results file belongs to another study or cannot be
// written; otherwise the tally (failed cells are in it, not an error).
Result<StudyTally> RunStudy(const StudySpec& spec, const StudyOptions& options);

}  // namespace switchyard
