// RunView: what the report takes from one results record
// (results/run_record.h) — its figures derived as the report shows them,
// before cells and workloads are aggregated (Aggregate, report/results.h):
//
//   - throughput and goodput from the client's requests and ok answers over
//     the measured duration when the record lacks them;
//   - CPU seconds and context switches per request from the server's process
//     tree when `derived` lacks them;
//   - the load point from `load.x`, else the connections or the rate;
//   - the mix entries in the order the mix names them (JSON objects come
//     back sorted by key);
//   - defaults the comparison of adaptive runs needs (a phase without a
//     start starts at 0, ...).
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report/study.h"
#include "results/results_file.h"

namespace switchyard::report {

struct RunView {
  int line = 0;  // 1-based line number in the file
  std::string study;
  std::string cell;
  int64_t repetition = 0;
  bool ok = false;
  std::string error;  // failed records: why
  std::string started_at;
  std::optional<results::Machine> machine;
  // A server record's; empty for the other kinds.
  ServerConfig config;
  std::string workload;  // workload.name
  std::string mix;       // workload.mix
  std::optional<LoadMode> load_mode;
  Figure load_x;
  CellFigures figures;
  std::vector<GroupFigures> entries;  // client.entries, in the order the mix names them
  std::vector<GroupFigures> clients;  // client.clients, by client id
  // Set for a pipeline record and for an adaptive record.
  std::optional<PipelineRun> pipeline;
  std::optional<AdaptiveRun> adaptive;
};

RunView ViewOf(const results::NumberedRecord& numbered);

}  // namespace switchyard::report
