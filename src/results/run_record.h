// RunRecord: one line of a `switchyard study` results file — one run of a
// cell (server, pipeline or adaptive) — as a typed value. `switchyard study`
// builds and writes it, `switchyard report` reads it; docs/results-schema.md
// describes it for people.
//
// The schema is here, in code: each part below lists its fields in Fields()
// (name, type by C++ type, required or optional: results/field.h explains
// the vocabulary), and the reader, the writer and the schema listing that a
// test compares with the docs (results/record_schema.h) all walk that list.
//
// Reading (FromJson) is strict about what the schema names and blind to the
// rest:
//   - a named field of the wrong type fails, naming the field by its path
//     ("field `client.latency_us.p99` must be a number, not string");
//   - a field the schema does not name, and a named field that is null, is
//     kept as written in its part's `extra` and written back unchanged, so a
//     record read and written back (ToJson) is the same JSON, number for
//     number (results/number.h);
//   - an absent or null figure is std::nullopt, never 0.
//
// `client` and `pipeline` embed other tools' summaries (`switchyard bench
// --json`, `switchyard load --json`, documented beside them): their parts
// name the fields the report reads and keep the rest in `extra`.
//
// Thread-safety: plain values; FromJson and ToJson are pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"
#include "results/field.h"
#include "results/number.h"

namespace switchyard::results {

enum class RunStatus { kOk, kFailed };
enum class RecordKind { kServer, kPipeline, kAdaptive };
enum class LoadMode { kClosed, kOpen };
enum class AdaptiveRole { kStatic, kController };

template <>
struct EnumNames<RunStatus> {
  static constexpr std::array kNames = {std::pair{RunStatus::kOk, std::string_view("ok")},
                                        std::pair{RunStatus::kFailed, std::string_view("failed")}};
};
template <>
struct EnumNames<LoadMode> {
  static constexpr std::array kNames = {std::pair{LoadMode::kClosed, std::string_view("closed")},
                                        std::pair{LoadMode::kOpen, std::string_view("open")}};
};
template <>
struct EnumNames<AdaptiveRole> {
  static constexpr std::array kNames = {std::pair{AdaptiveRole::kStatic, std::string_view("static")},
                                        std::pair{AdaptiveRole::kController, std::string_view("controller")}};
};

// The `kind` a record of `kind` is written with: "" for a server record (it
// has none), "pipeline", "adaptive".
std::string_view RecordKindName(RecordKind kind);

// ---- parts every kind shares ---------------------------------------------------

struct Machine {
  std::optional<int64_t> cores;
  std::optional<std::string> cpu;  // model name
  std::optional<std::string> kernel;
  std::optional<std::string> hostname;
  std::optional<Number> memory_gib;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("cores", m.cores);
    v("cpu", m.cpu);
    v("kernel", m.kernel);
    v("hostname", m.hostname);
    v("memory_gib", m.memory_gib);
  }
};

// Latency (or wait) percentiles: the bench summary's `latency_us`, an
// entry's `ok_latency_us`, the server's queue/service/total, the pipeline's
// batch waits. Each writer fills the keys it has.
struct Percentiles {
  std::optional<Number> count, mean, min, p50, p90, p95, p99, p999, max;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("count", m.count);
    v("mean", m.mean);
    v("min", m.min);
    v("p50", m.p50);
    v("p90", m.p90);
    v("p95", m.p95);
    v("p99", m.p99);
    v("p999", m.p999);
    v("max", m.max);
  }
};

// A load point (`load`, and each adaptive phase's `load`).
struct Load {
  std::optional<LoadMode> mode;
  std::optional<Number> connections;
  std::optional<Number> rate;           // open loop: requests/s
  std::optional<std::string> arrivals;  // open loop: poisson | constant
  std::optional<Number> x;              // the load point (C or R) as a number, for charts
  Json extra = Json::object();

  // The mode; records that lack it are open loop when they name a rate.
  LoadMode Mode() const;
  // `x`, else what the mode measures (records written before `x`); nullopt
  // when the record has neither.
  std::optional<double> Point() const;

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("mode", m.mode);
    v("rate", m.rate);
    v("connections", m.connections);
    v("arrivals", m.arrivals);
    v("x", m.x);
  }
};

// ---- server records --------------------------------------------------------------

// The server's configuration (the record's `config`).
struct ServerCellSettings {
  std::optional<std::string> executor;
  std::optional<int64_t> workers;
  std::optional<std::string> policy;
  std::optional<std::string> start;
  std::optional<std::string> ipc;
  std::optional<int64_t> offload;
  std::optional<int64_t> io_threads;
  std::optional<int64_t> intra_op_threads;
  std::optional<std::string> models;
  std::optional<std::vector<std::string>> args;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("executor", m.executor);
    v("workers", m.workers);
    v("policy", m.policy);
    v("start", m.start);
    v("ipc", m.ipc);
    v("offload", m.offload);
    v("io_threads", m.io_threads);
    v("intra_op_threads", m.intra_op_threads);
    v("models", m.models);
    v("args", m.args);
  }
};

struct WorkloadSpec {
  std::optional<std::string> name;
  std::optional<std::string> mix;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("name", m.name);
    v("mix", m.mix);
  }
};

// A mix entry's (`client.entries`) or a client's (`client.clients`) figures.
struct GroupSummary {
  std::optional<std::string> client;  // entries: the client the entry sends as
  std::optional<std::string> spec;    // entries: the entry's text
  std::optional<Number> goodput_rps;
  std::optional<Percentiles> ok_latency_us;
  std::optional<Number> rejected_503;
  std::optional<Number> expired_504;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("client", m.client);
    v("spec", m.spec);
    v("goodput_rps", m.goodput_rps);
    v("ok_latency_us", m.ok_latency_us);
    v("rejected_503", m.rejected_503);
    v("expired_504", m.expired_504);
  }
};

// `client`: the `switchyard bench --json` summary of the measured window.
struct ClientSummary {
  std::optional<Number> throughput_rps;
  std::optional<Number> goodput_rps;
  std::optional<Number> errors;
  std::optional<Number> requests;
  std::optional<Number> ok;
  std::optional<Number> duration_s;
  std::optional<Percentiles> latency_us;
  Nullable<Number> jain_index;                                 // null with fewer than two named clients
  std::optional<std::map<std::string, GroupSummary>> entries;  // by label
  std::optional<std::map<std::string, GroupSummary>> clients;  // by client id ("": none named)
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("throughput_rps", m.throughput_rps);
    v("goodput_rps", m.goodput_rps);
    v("errors", m.errors);
    v("requests", m.requests);
    v("ok", m.ok);
    v("duration_s", m.duration_s);
    v("latency_us", m.latency_us);
    v("jain_index", m.jain_index);
    v("entries", m.entries, kNullsSkipped);
    v("clients", m.clients, kNullsSkipped);
  }
};

// `server.latency_us`: the server's own histograms over the window.
struct ServerLatency {
  std::optional<Percentiles> queue, service, total;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("queue", m.queue);
    v("service", m.service);
    v("total", m.total);
  }
};

// `server.process_tree`: counters as differences over the window, sizes at
// its end.
struct ProcessTree {
  std::optional<int64_t> processes;
  std::optional<Number> rss_bytes, pss_bytes;
  std::optional<Number> cpu_user_s, cpu_system_s;
  std::optional<Number> voluntary_ctxt_switches, involuntary_ctxt_switches;
  std::optional<Number> minor_faults, major_faults;
  std::optional<Json> perf;              // per counter a number, or null
  std::optional<Json> perf_unavailable;  // per counter why it is null
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("processes", m.processes);
    v("rss_bytes", m.rss_bytes);
    v("pss_bytes", m.pss_bytes);
    v("cpu_user_s", m.cpu_user_s);
    v("cpu_system_s", m.cpu_system_s);
    v("voluntary_ctxt_switches", m.voluntary_ctxt_switches);
    v("involuntary_ctxt_switches", m.involuntary_ctxt_switches);
    v("minor_faults", m.minor_faults);
    v("major_faults", m.major_faults);
    v("perf", m.perf);
    v("perf_unavailable", m.perf_unavailable);
  }
};

// `server.python.NAME`: one Python model's GIL figures over the window
// (/stats "python", reset with the window; docs/python-models.md).
struct PythonModelFigures {
  std::optional<Number> requests;
  std::optional<Number> gil_measured_requests;
  std::optional<Number> gil_held_share;  // GIL hold over service time, measured requests
  std::optional<Number> gil_wait_share;  // GIL wait over service time, measured requests
  std::optional<Percentiles> gil_wait_us, gil_hold_us;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("requests", m.requests);
    v("gil_measured_requests", m.gil_measured_requests);
    v("gil_held_share", m.gil_held_share);
    v("gil_wait_share", m.gil_wait_share);
    v("gil_wait_us", m.gil_wait_us);
    v("gil_hold_us", m.gil_hold_us);
  }
};

// `server`: from the server's /stats, read before and after the window.
struct ServerFigures {
  std::optional<ServerLatency> latency_us;
  Nullable<ProcessTree> process_tree;  // null when /stats had none
  std::optional<int64_t> exit_status;
  std::optional<int64_t> late_replies;  // ran past their deadline, answered when done
  std::optional<std::map<std::string, PythonModelFigures>> python;  // by model; Python models only
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("latency_us", m.latency_us);
    v("process_tree", m.process_tree);
    v("exit_status", m.exit_status);
    v("late_replies", m.late_replies);
    v("python", m.python);
  }
};

struct DerivedFigures {
  std::optional<Number> cpu_s_per_request;          // (user + system) / client requests
  std::optional<Number> ctxt_switches_per_request;  // (voluntary + involuntary) / client requests
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("cpu_s_per_request", m.cpu_s_per_request);
    v("ctxt_switches_per_request", m.ctxt_switches_per_request);
  }
};

// The fields of a server record beside the common ones (no `kind`).
struct ServerBody {
  std::optional<ServerCellSettings> config;
  std::optional<WorkloadSpec> workload;
  std::optional<Load> load;
  std::optional<Number> warmup_s;
  std::optional<Number> duration_s;
  std::optional<ClientSummary> client;
  std::optional<ServerFigures> server;
  std::optional<DerivedFigures> derived;

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("config", m.config);
    v("workload", m.workload);
    v("load", m.load);
    v("warmup_s", m.warmup_s);
    v("duration_s", m.duration_s);
    v("client", m.client);
    v("server", m.server);
    v("derived", m.derived);
  }
};

// ---- pipeline records --------------------------------------------------------------

// `data`: the study's data set.
struct DataSet {
  std::optional<std::string> dir;
  std::optional<int64_t> files;
  std::optional<Number> bytes;
  std::optional<Number> min_bytes, max_bytes;
  std::optional<int64_t> seed;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("dir", m.dir);
    v("files", m.files);
    v("bytes", m.bytes);
    v("min_bytes", m.min_bytes);
    v("max_bytes", m.max_bytes);
    v("seed", m.seed);
  }
};

// The cell's parameters (the record's `config`).
struct PipelineCellSettings {
  std::optional<std::string> loader;
  std::optional<int64_t> workers;
  std::optional<int64_t> matrix_size;
  std::optional<int64_t> batch;
  std::optional<int64_t> prefetch;
  std::optional<Number> consumer_ms;
  std::optional<int64_t> epochs;
  std::optional<std::vector<std::string>> args;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("loader", m.loader);
    v("workers", m.workers);
    v("matrix_size", m.matrix_size);
    v("batch", m.batch);
    v("prefetch", m.prefetch);
    v("consumer_ms", m.consumer_ms);
    v("epochs", m.epochs);
    v("args", m.args);
  }
};

struct CpuUse {
  std::optional<Number> utilisation;  // cores busy on average
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("utilisation", m.utilisation);
  }
};

struct CacheState {
  std::optional<std::string> state;  // warm | cold | partial | bypassed
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("state", m.state);
  }
};

// `pipeline`: the `switchyard load --json` summary without its timeline.
struct LoadSummary {
  std::optional<Number> items_per_s;
  std::optional<Number> mb_per_s;
  std::optional<Number> starvation;
  std::optional<Percentiles> batch_wait_ms;
  std::optional<CpuUse> cpu;
  std::optional<Number> pss_bytes;
  std::optional<Number> skipped;
  std::optional<Number> errors;
  std::optional<Number> workers_replaced;
  std::optional<CacheState> cache;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("items_per_s", m.items_per_s);
    v("mb_per_s", m.mb_per_s);
    v("starvation", m.starvation);
    v("batch_wait_ms", m.batch_wait_ms);
    v("cpu", m.cpu);
    v("pss_bytes", m.pss_bytes);
    v("skipped", m.skipped);
    v("errors", m.errors);
    v("workers_replaced", m.workers_replaced);
    v("cache", m.cache);
  }
};

// The fields of a pipeline record beside the common ones.
struct PipelineBody {
  std::optional<PipelineCellSettings> config;
  std::optional<DataSet> data;
  std::optional<int64_t> exit_status;
  std::optional<Number> run_wall_s;
  std::optional<LoadSummary> pipeline;

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("config", m.config);
    v("data", m.data);
    v("exit_status", m.exit_status);
    v("run_wall_s", m.run_wall_s);
    v("pipeline", m.pipeline);
  }
};

// ---- adaptive records ---------------------------------------------------------------

// The run's parameters (the record's `config`).
struct AdaptiveRunSettings {
  std::optional<AdaptiveRole> role;       // absent: static
  std::optional<std::string> candidate;   // static runs: its label
  std::optional<std::string> controller;  // controllers: the algorithm
  std::optional<Number> window_s;         // controllers
  std::optional<std::string> first_candidate;
  std::optional<int64_t> io_threads;
  std::optional<std::vector<std::string>> candidates;  // every candidate's label, in the file's order
  std::optional<std::string> candidates_file;
  std::optional<std::string> phases_file;
  std::optional<std::vector<std::string>> args;
  std::optional<std::vector<std::string>> serve_args;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("role", m.role);
    v("candidate", m.candidate);
    v("controller", m.controller);
    v("window_s", m.window_s);
    v("first_candidate", m.first_candidate);
    v("io_threads", m.io_threads);
    v("candidates", m.candidates, kLenient);
    v("candidates_file", m.candidates_file);
    v("phases_file", m.phases_file);
    v("args", m.args);
    v("serve_args", m.serve_args);
  }
};

// One phase of an adaptive run (`phases[i]`).
struct PhaseFigures {
  std::optional<std::string> name;
  std::optional<int64_t> index;
  std::optional<Number> start_s;  // since measuring began
  std::optional<Number> duration_s;
  std::optional<Load> load;
  std::optional<std::string> mix;
  std::optional<Number> sent, requests, ok, errors;
  std::optional<Json> errors_by_status;
  std::optional<Number> lost;  // sent - requests + errors
  std::optional<Number> ok_rps;
  std::optional<Number> p99_ms;
  std::optional<Number> phase_reward;  // ok_rps / (1 + p99_ms)
  Nullable<Number> reward;             // mean over the phase's whole seconds; null: none
  std::optional<int64_t> reward_seconds;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("name", m.name);
    v("index", m.index);
    v("start_s", m.start_s);
    v("duration_s", m.duration_s);
    v("load", m.load);
    v("mix", m.mix);
    v("sent", m.sent);
    v("requests", m.requests);
    v("ok", m.ok);
    v("errors", m.errors);
    v("errors_by_status", m.errors_by_status);
    v("lost", m.lost);
    v("ok_rps", m.ok_rps);
    v("p99_ms", m.p99_ms);
    v("phase_reward", m.phase_reward);
    v("reward", m.reward);
    v("reward_seconds", m.reward_seconds);
  }
};

// One second of an adaptive run's timeline (`timeseries[i]`).
struct SecondFigures {
  std::optional<Number> t_s;  // start of the second, since measuring began
  Nullable<int64_t> phase;    // null: it straddles a boundary or lies past the end
  std::optional<Number> sent, requests, ok, errors;
  std::optional<Number> p99_ms;
  std::optional<Number> reward;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("t_s", m.t_s);
    v("phase", m.phase);
    v("sent", m.sent);
    v("requests", m.requests);
    v("ok", m.ok);
    v("errors", m.errors);
    v("p99_ms", m.p99_ms);
    v("reward", m.reward);
  }
};

// One controller decision on the load's timeline (`decisions[i]`).
struct Decision {
  std::optional<int64_t> window;
  std::optional<Number> at_s;  // the window's end, since measuring began (negative: the warm-up)
  std::optional<std::string> serving;
  std::optional<std::string> chosen;
  std::optional<bool> switched;
  std::optional<std::string> reason;
  std::optional<Number> reward;
  Json extra = Json::object();

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("window", m.window);
    v("at_s", m.at_s);
    v("serving", m.serving);
    v("chosen", m.chosen);
    v("switched", m.switched, kLenient);
    v("reason", m.reason);
    v("reward", m.reward);
  }
};

// The fields of an adaptive record beside the common ones.
struct AdaptiveBody {
  std::optional<AdaptiveRunSettings> config;
  std::optional<std::string> decisions_file;  // controllers
  std::optional<Number> warmup_s;
  std::optional<Number> duration_s;  // the phases' planned total
  std::optional<int64_t> server_exit_status;
  std::optional<Number> measure_start_monotonic_s;
  std::optional<std::vector<PhaseFigures>> phases;
  std::optional<std::vector<SecondFigures>> timeseries;
  std::optional<int64_t> sent;
  std::optional<int64_t> lost;
  std::optional<std::vector<Decision>> decisions;  // controllers
  std::optional<int64_t> switches;                 // controllers

  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("config", m.config);
    v("decisions_file", m.decisions_file);
    v("warmup_s", m.warmup_s);
    v("duration_s", m.duration_s);
    v("server_exit_status", m.server_exit_status);
    v("measure_start_monotonic_s", m.measure_start_monotonic_s);
    v("phases", m.phases);
    v("timeseries", m.timeseries, kNonObjectsSkippedUnnumbered);
    v("sent", m.sent);
    v("lost", m.lost);
    v("decisions", m.decisions, kNonObjectsSkippedUnnumbered);
    v("switches", m.switches);
  }
};

// ---- the record ----------------------------------------------------------------------

// Why a file is not a results file, after "missing field `schema`" or `cell`.
inline constexpr std::string_view kNotAStudyFileHint = " (is this a `switchyard study` results file?)";

struct RunRecord {
  int64_t schema = 1;
  std::optional<std::string> study;
  std::string cell;  // the cell's stable id
  int64_t repetition = 0;
  RunStatus status = RunStatus::kFailed;
  std::optional<std::string> error;  // failed records: why
  std::optional<std::string> started_at;
  std::optional<Machine> machine;
  // What the record's `kind` says it measured: a server cell (no `kind`), a
  // pipeline cell or an adaptive run.
  std::variant<ServerBody, PipelineBody, AdaptiveBody> body;
  Json extra = Json::object();

  bool ok() const { return status == RunStatus::kOk; }
  RecordKind kind() const { return static_cast<RecordKind>(body.index()); }

  // The common fields; `kind` and the body's are read and written around them.
  template <typename V, typename Self>
  static void Fields(V& v, Self& m) {
    v("schema", m.schema, RequiredWithHint(kNotAStudyFileHint));
    v("study", m.study);
    v("cell", m.cell, RequiredWithHint(kNotAStudyFileHint));
    v("repetition", m.repetition, kRequired);
    v("status", m.status, kRequired);
    v("error", m.error);
    v("started_at", m.started_at);
    v("machine", m.machine);
  }
};

// Reads one record from its JSON object: the checks above, then what a
// record of its kind needs (an ok server record its workload's name and load
// point, an ok pipeline record its loader and figures, an ok adaptive record
// its candidate or controller and phases). The message names the field, not
// the line: results/results_file.h adds "file:line: ".
Result<RunRecord> FromJson(const Json& j);
Json ToJson(const RunRecord& record);

// The same for a part on its own — how the study turns what other code hands
// it as JSON (the bench summary, /stats, the machine) into a record's part.
// Defined for every part type above.
template <RecordPart T>
Result<T> PartFromJson(const Json& j);
template <RecordPart T>
Json PartToJson(const T& part);

}  // namespace switchyard::results
