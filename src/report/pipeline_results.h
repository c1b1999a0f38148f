// The pipeline records of a study's results (`kind` "pipeline": one
// `switchyard load` run each, docs/results-schema.md): a run's parameters and
// figures, a cell's medians across its repetitions, and the groups the
// report shows — one per matrix size (and per batch, prefetch, consumer
// step, epochs or extra flags where the study varies those), each a table of
// loader x workers.
//
// The record itself is results/run_record.h's; report/run_view.h takes these
// figures from it. This header holds the model and its aggregation.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/figure.h"

namespace switchyard::report {

// A pipeline cell's parameters (the record's `config`).
struct PipelineConfig {
  std::string loader;  // sync | threads | processes | async (others are shown as written)
  std::optional<int64_t> workers;
  std::optional<int64_t> matrix_size;
  std::optional<int64_t> batch;
  std::optional<int64_t> prefetch;
  Figure consumer_ms;
  std::optional<int64_t> epochs;
  std::vector<std::string> args;
  bool operator==(const PipelineConfig&) const = default;

  // "threads w4"; "sync" (it has no workers).
  std::string Label() const;
};

// The figures the report shows for one run (the record's `pipeline`), or a
// cell's medians.
struct PipelineFigures {
  Figure items_per_s;
  Figure mb_per_s;
  Figure starvation;         // share of the run the consumer waited for a batch
  Figure batch_wait_p99_ms;  // batch_wait_ms.p99
  Figure cpu_cores;          // cpu.utilisation: cores busy on average
  Figure pss_bytes;          // peak PSS of the process tree
  Figure skipped;
  Figure errors;
  Figure workers_replaced;
  std::string
      cache_state;  // cache.state of a run; of a cell, the states its runs saw ("warm", "warm/partial")
};

// What a record says about the data set (the record's `data`).
struct PipelineDataSet {
  std::optional<int64_t> files;
  Figure bytes;
  Figure min_bytes, max_bytes;
  std::optional<int64_t> seed;
  bool operator==(const PipelineDataSet&) const = default;
};

// The pipeline part of one record.
struct PipelineRun {
  PipelineConfig config;
  PipelineFigures figures;
  std::optional<PipelineDataSet> data;
};

// A pipeline cell with its successful repetitions aggregated.
struct PipelineCell {
  std::string id;
  PipelineConfig config;
  int repetitions = 0;
  PipelineFigures median;  // per figure, the median over the repetitions that have it
};

// The cells that share every setting but the loader and the worker count.
struct PipelineGroup {
  std::string title;  // "matrix 200", plus ", batch 16" etc. for the settings that vary across the study
  std::string slug;   // for chart file names, e.g. "m200", "m200-b16"
  PipelineConfig settings;             // the shared settings (loader and workers empty)
  std::vector<std::string> loaders;    // in the study's order (first appearance)
  std::vector<int64_t> worker_counts;  // ascending, over the cells that have workers (not sync)
  std::vector<PipelineCell> cells;     // by loader order, then worker count

  // The cell of `loader` with `workers` (any count for sync), or nullptr.
  const PipelineCell* Find(std::string_view loader, int64_t workers) const;
};

// Medians of every figure over `runs` (cache_state: the distinct states in
// order of first appearance, joined with '/').
PipelineFigures PipelineMedians(const std::vector<const PipelineFigures*>& runs);

// Groups cells (given in the study's order) as the report shows them: groups
// ordered by matrix size, then by the other settings as first met.
std::vector<PipelineGroup> GroupPipelineCells(const std::vector<PipelineCell>& cells);

}  // namespace switchyard::report
