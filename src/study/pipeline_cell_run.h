// RunPipelineCell: one repetition of a pipeline study's cell — a child
// `switchyard load --data DIR <cell flags> --json FILE --quiet` run to its end
// (study/child_run.h) — turned into the cell's results record
// (docs/results-schema.md, "pipeline records").
//
// A child process, not a call: the processes loader forks its workers and
// needs a single-threaded process, and a crash, a hang (killed at the
// timeout) or a failed run must fail only its cell.
//
// Thread-safety: a pure function of its arguments apart from the files it
// writes in `scratch_dir`; one run per scratch directory at a time.
#pragma once

#include <cstdint>
#include <string>

#include "results/run_record.h"
#include "study/pipeline_matrix.h"

namespace switchyard {

struct PipelineRunSetup {
  std::string binary;       // the switchyard to run
  std::string data_dir;     // the study's data set (a gen-data directory)
  std::string scratch_dir;  // the run's --json file and output log; overwritten by every run
  int64_t timeout_us = 600'000'000;
};

// Sets in `record` (the study's fields: schema, study, cell, ... and the
// pipeline record's `data`) the cell's `config`, the child's `exit_status`
// and `run_wall_s`, `pipeline` (the `switchyard load --json` summary without
// its timeline, whenever the child wrote one, also for a failed run) and
// the status: ok when the child exited 0 and wrote its summary, else failed
// with `error` saying why (could not start, timed out, exit status and the
// tail of its output, no summary).
results::RunRecord RunPipelineCell(const PipelineRunSetup& setup, const PipelineCellConfig& cell,
                                   results::RunRecord record);

// The progress line of an ok record: items/s, MB/s, starvation, batch wait
// p99, CPU cores, PSS, cache state.
std::string PipelineProgressLine(const results::PipelineBody& body);

// The record's `config`: the cell's parameters.
results::PipelineCellSettings PipelineSettingsOf(const PipelineCellConfig& cell);

}  // namespace switchyard
