// The model of a study's results as the report shows it: cells with the
// medians of their repetitions, workloads (one per name and load mode) with
// their load points and configurations, failed runs, the pipeline groups
// (report/pipeline_results.h) and the adaptive runs
// (report/adaptive_results.h). Aggregate (report/results.h) builds it.
//
// Thread-safety: plain values; a Study may be read from any number of
// threads once built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/adaptive_results.h"
#include "report/figure.h"
#include "report/pipeline_results.h"
#include "results/run_record.h"

namespace switchyard::report {

using results::LoadMode;

// The server configuration of a cell (the record's `config`) as far as the
// report tells configurations apart; "" and nullopt: the record did not say.
struct ServerConfig {
  std::string executor;  // threads | processes | async (others are shown as written)
  std::optional<int64_t> workers;
  std::string policy;
  std::string start;
  std::string ipc;
  std::optional<int64_t> offload;
  std::optional<int64_t> io_threads;
  std::optional<int64_t> intra_op_threads;
  bool operator==(const ServerConfig&) const = default;
};

// The figures the report shows for one run, or for a cell (medians).
struct CellFigures {
  Figure throughput_rps;               // client.throughput_rps
  Figure goodput_rps;                  // client.goodput_rps
  Figure p50_us, p95_us, p99_us;       // client.latency_us
  Figure errors;                       // client.errors
  Figure cpu_s_per_request;            // derived (or process_tree cpu / client requests)
  Figure ctxt_switches_per_request;    // derived (or process_tree switches / client requests)
  Figure pss_bytes;                    // server.process_tree.pss_bytes
  Figure queue_mean_us, queue_p99_us;  // server.latency_us.queue: admitted requests' wait for a worker
  Figure jain_index;                   // client.jain_index (fairness of ok/s across named clients)
  // server.python: the GIL-held and GIL-wait shares of service time, over the
  // cell's Python models weighted by their measured requests.
  Figure gil_held_share, gil_wait_share;
};

// The figures of one mix entry (client.entries, keyed by label) or one client
// (client.clients, keyed by client id) of a run, or of a cell (medians).
struct GroupFigures {
  std::string name;    // the label or the client id ("": the entries that name no client)
  std::string client;  // entries only: the client the entry sends as ("" when none)
  std::string spec;    // entries only: the entry's text, e.g. "cpu:iters=5000:label=fast"
  Figure goodput_rps;
  Figure ok_p50_us, ok_p99_us;  // ok_latency_us: the ok answers only
  Figure rejected_503, expired_504;
};

// A cell of the matrix with its successful repetitions aggregated.
struct Cell {
  std::string id;
  std::string series;  // the configuration's label within the study, e.g. "processes w2 shm"
  ServerConfig config;
  std::string mix;
  LoadMode mode = LoadMode::kClosed;
  double x = 0;         // the load point
  int repetitions = 0;  // successful repetitions aggregated
  CellFigures median;   // per figure, the median over the repetitions that have it
  // Per mix entry and per client, each figure the median over the repetitions
  // that report that entry or client; in the order of the last repetition
  // (entries: the mix's order), then any only earlier ones had.
  std::vector<GroupFigures> entries;
  std::vector<GroupFigures> clients;

  // The clients with a name (not ""): the ones Jain's index is taken over.
  int NamedClients() const;
};

// A failed (cell, repetition) that no later successful record of the same
// (cell, repetition) superseded.
struct FailedRun {
  int line = 0;
  std::string cell;
  int64_t repetition = 0;
  std::string error;
  std::string workload;  // may be empty when the record did not say
  std::string series;    // may be empty when the record had no config
  ServerConfig config;
  std::string mix;
  std::optional<LoadMode> load_mode;
  Figure load_x;
  std::optional<PipelineConfig> pipeline;  // a pipeline cell's parameters
  bool adaptive = false;                   // an adaptive run (series: the candidate or controller)
};

// One workload at one load mode: the unit of the tables, charts and
// crossover statements.
struct Workload {
  std::string name;  // the workload's name; "(open loop)"/"(closed loop)" added when it has both
  LoadMode mode = LoadMode::kClosed;
  std::vector<double> load_points;  // ascending
  std::vector<std::string> series;  // configuration labels in display order
  std::vector<Cell> cells;          // ordered by load point, then series order

  // The cell of `series` at load point `x`, or nullptr.
  const Cell* Find(std::string_view series_label, double x) const;
};

// The group named `name` of a cell's entries or clients, or nullptr.
const GroupFigures* FindGroup(const std::vector<GroupFigures>& groups, const std::string& name);

struct Study {
  std::string name;  // several names joined with ", " if the file mixes studies
  std::string first_started_at, last_started_at;
  std::optional<results::Machine> machine;  // of the first record that has one
  bool several_machines = false;            // records name more than one machine
  std::vector<Workload> workloads;          // in order of first appearance
  int server_records = 0;                   // records of server cells (ok or failed)
  int pipeline_records = 0;                 // records of pipeline cells (ok or failed)
  int adaptive_records = 0;                 // records of adaptive runs (ok or failed)
  std::vector<AdaptiveRun>
      adaptive_runs;  // the ok ones (the last of each run id and repetition), in file order
  std::vector<PipelineGroup> pipeline_groups;    // the pipeline cells that ran, grouped
  std::optional<PipelineDataSet> pipeline_data;  // of the first pipeline record that has one
  bool several_data_sets = false;                // pipeline records name more than one data set
  std::vector<FailedRun> failed;                 // in file order
  int records = 0;                               // lines with a record
  int ok_records = 0;                            // successful (cell, repetition) pairs aggregated
  int superseded_failures = 0;        // failed records a later ok record of the same repetition replaced
  std::vector<std::string> warnings;  // lines skipped while reading (LoadStudy)
};

}  // namespace switchyard::report
