// PipelineMatrix: what a pipeline study measures — the data set it generates
// once and the matrix of `switchyard load` runs over it (issue 6).
//
// A study file with a [pipeline] table instead of [server]/[[workload]]:
//
//   name = "pipeline"
//   repetitions = 3
//   [data]                      # generated once (as `switchyard gen-data`) into the study's work dir
//   files = 200
//   min = "1MB"
//   max = "10MB"
//   seed = 1
//   [pipeline]                  # lists; a single value is a list of one
//   loaders = ["sync", "threads", "processes", "async"]
//   workers = [1, 2, 4]         # sync runs once per other setting (workers do not apply to it)
//   matrix_sizes = [0, 200, 500]
//   batch = [8]
//   prefetch = [2]
//   consumer_ms = [0]
//   epochs = 1
//   timeout = "10m"             # per run: a run still going is killed and recorded as failed
//   args = []                   # extra `switchyard load` flags for every cell
//
// Every key is checked like the server study's: unknown keys, wrong types and
// impossible values are errors naming the file, line and key. Plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/toml_reader.h"
#include "core/status.h"

namespace switchyard {

// The [data] table: the arguments of `switchyard gen-data`.
struct StudyDataSet {
  int64_t files = 200;
  int64_t min_bytes = 1'000'000;
  int64_t max_bytes = 10'000'000;
  uint64_t seed = 1;

  // A directory name that differs whenever the contents would, so a study
  // whose [data] changed never reuses the old set: "data-f200-1000000-10000000-s1".
  std::string DirName() const;
};

// One `switchyard load` configuration: a cell of the matrix.
//
// The loader is kept by name (checked by ParsePipelineMatrix with
// pipeline/pipeline_options.h's ParseLoaderKind): it becomes a flag of the
// `switchyard load` child.
struct PipelineCellConfig {
  std::string loader = "threads";  // sync | threads | processes | async
  int workers = 1;                 // 1 for sync, which has no workers
  int matrix_size = 0;
  int batch = 8;
  int prefetch = 2;
  double consumer_ms = 0;
  int epochs = 1;
  std::vector<std::string> args;  // extra flags, as the study file gives them

  // Stable across runs of the same file (resuming matches on it), unique
  // within a study: "threads.w2.m200.b8.pf2.c0.e1", "sync.m0.b8.pf2.c0.e1",
  // then the extra args joined with '.'.
  std::string Id() const;
  // `switchyard load` flags for this cell, without --data, --json and --quiet.
  std::vector<std::string> LoadArgs() const;
};

struct PipelineMatrix {
  StudyDataSet data;
  int64_t timeout_us = 600'000'000;  // per run
  // In the order they run: matrix size outermost, then loader (in the order
  // the file lists them), workers, batch, prefetch, consumer_ms. Ids are
  // unique.
  std::vector<PipelineCellConfig> cells;
};

// Reads the [data] and [pipeline] tables of `root` (the [pipeline] table must
// be there; [data] may be left out for its defaults).
Result<PipelineMatrix> ParsePipelineMatrix(const TomlTable& root);

}  // namespace switchyard
