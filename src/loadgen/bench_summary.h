// BenchSummary: a load run's figures as people and programs read them —
// the JSON summary and the per-second CSV of docs/results-schema.md, and the
// human table printed on stdout.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "loadgen/load_generator.h"
#include "metrics/jain_index.h"

namespace switchyard {

// What the summary says about the run beyond its figures.
struct RunDescription {
  std::string url;
  std::string started_at;  // UTC, RFC 3339
  int64_t warmup_us = 0;
  std::vector<LoadPhase> phases;
};

// The JSON summary (schema 1). Thread-safe (pure).
nlohmann::json SummaryJson(const RunDescription& run, const LoadResult& result);
// One line per second: t_s,phase,sent,requests,errors,p50_us,p99_us,max_us.
std::string TimeseriesCsv(const LoadResult& result);
// The table for a terminal, with a warning line when the generator itself
// fell behind or requests failed.
std::string HumanSummary(const RunDescription& run, const nlohmann::json& summary);


// UTC now as RFC 3339 ("2026-11-24T15:04:05Z").
std::string UtcNowRfc3339();

}  // namespace switchyard
