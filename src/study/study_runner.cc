#include "study/study_runner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <set>
#include <utility>

#include "core/clock.h"
#include "core/file_util.h"
#include "data/data_set.h"
#include "loadgen/bench_summary.h"
#include "loadgen/load_generator.h"
#include "results/results_file.h"
#include "study/adaptive_run.h"
#include "study/http_fetch.h"
#include "study/machine_info.h"
#include "study/pipeline_cell_run.h"
#include "study/server_child.h"
#include "workload/kv_store.h"

namespace switchyard {
namespace {

using nlohmann::json;

constexpr int64_t kReadyTimeoutUs = 60'000'000;

// (cell, repetition) pairs recorded as ok. Also cuts a final line that lacks
// its '\n' (a crash mid-append), so the next append starts a fresh line.
Result<std::set<std::pair<std::string, int>>> DoneRuns(const std::string& path, const std::string& study) {
  std::set<std::pair<std::string, int>> done;
  auto text = ReadFile(path);
  if (!text.ok()) return done;  // no results yet
  size_t complete = text->rfind('\n');
  complete = complete == std::string::npos ? 0 : complete + 1;
  if (complete < text->size()) {
    if (::truncate(path.c_str(), static_cast<off_t>(complete)) < 0) {
      return InvalidArgument("cannot repair the unfinished last line of '" + path + "'");
    }
  }
  size_t start = 0;
  int line_no = 0;
  while (start < complete) {
    size_t end = text->find('\n', start);
    ++line_no;
    json record = json::parse(text->substr(start, end - start), nullptr, /*allow_exceptions=*/false);
    start = end + 1;
    if (record.is_discarded() || !record.is_object()) continue;  // not ours to judge; the report says so
    if (record.value("study", "") != study) {
      return InvalidArgument("'" + path + "' line " + std::to_string(line_no) + " holds results of study '" +
                             record.value("study", "?") + "', not '" + study + "': use another --out");
    }
    if (record.value("status", "") == "ok") done.insert({record.value("cell", ""), record.value("repetition", -1)});
  }
  return done;
}

std::string RandomToken() {
  std::random_device rd;
  std::string token;
  for (int i = 0; i < 32; ++i) token += "0123456789abcdef"[rd() % 16];
  return token;
}

// Server latency of the window: the /stats latency section as the schema names it.
json ServerLatency(const json& stats) {
  json out = json::object();
  if (!stats.contains("latency_us")) return out;
  for (const char* part : {"queue", "service", "total"}) {
    const json& h = stats["latency_us"].value(part, json::object());
    json figures = json::object();
    for (const char* key : {"count", "mean", "p50", "p95", "p99", "max"}) {
      if (h.contains(key)) figures[key] = h[key];
    }
    out[part] = figures;
  }
  return out;
}

// The process tree over the window: counters as differences, sizes at the end.
json ProcessTreeDelta(const json& before, const json& after) {
  if (!after.contains("process_tree")) return nullptr;
  const json& a = after["process_tree"];
  const json b = before.value("process_tree", json::object());
  json out = json::object();
  for (const char* key : {"processes", "rss_bytes", "pss_bytes"}) {
    if (a.contains(key)) out[key] = a[key];
  }
  for (const char* key : {"cpu_user_s", "cpu_system_s", "voluntary_ctxt_switches", "involuntary_ctxt_switches",
                          "minor_faults", "major_faults"}) {
    if (a.contains(key) && b.contains(key) && a[key].is_number() && b[key].is_number()) {
      out[key] = a[key].get<double>() - b[key].get<double>();
    }
  }
  if (a.contains("perf") && a["perf"].is_object()) {
    json perf = json::object();
    json unavailable = a.value("perf_unavailable", json::object());
    const json bp = b.value("perf", json::object());
    for (const auto& [name, value] : a["perf"].items()) {
      if (value.is_number() && bp.contains(name) && bp[name].is_number()) {
        perf[name] = value.get<double>() - bp[name].get<double>();
      } else {
        perf[name] = nullptr;
      }
    }
    out["perf"] = perf;
    if (!unavailable.empty()) out["perf_unavailable"] = unavailable;
  }
  return out;
}

// The record's `config`: the server configuration the cell ran.
results::ServerCellSettings SettingsOf(const ServerConfig& s) {
  results::ServerCellSettings c;
  c.executor = s.executor;
  c.workers = s.workers;
  c.policy = s.policy;
  if (!s.start.empty()) c.start = s.start;
  if (!s.ipc.empty()) c.ipc = s.ipc;
  if (s.offload >= 0) c.offload = s.offload;
  if (s.intra_op_threads > 0) c.intra_op_threads = s.intra_op_threads;
  if (!s.models.empty()) c.models = s.models;
  if (!s.args.empty()) c.args = s.args;
  return c;
}

// The figures per request the report charts, from the client's requests
// and the server's process tree.
results::DerivedFigures DerivedOf(const results::ClientSummary& client,
                                  const results::ServerFigures& server) {
  results::DerivedFigures d;
  const double requests = client.requests ? client.requests->value() : 0.0;
  const std::optional<results::ProcessTree>& tree = server.process_tree.value();
  if (requests > 0 && tree && tree->cpu_user_s && tree->cpu_system_s) {
    d.cpu_s_per_request = (tree->cpu_user_s->value() + tree->cpu_system_s->value()) / requests;
  }
  if (requests > 0 && tree && tree->voluntary_ctxt_switches && tree->involuntary_ctxt_switches) {
    d.ctxt_switches_per_request =
        (tree->voluntary_ctxt_switches->value() + tree->involuntary_ctxt_switches->value()) / requests;
  }
  return d;
}

// The progress line of an ok server record: throughput, p50, p99, errors.
std::string ServerProgressLine(const results::ServerBody& body) {
  const results::ClientSummary c = body.client.value_or(results::ClientSummary{});
  auto value = [](const std::optional<results::Number>& n) { return n ? n->value() : 0.0; };
  const results::Percentiles latency = c.latency_us.value_or(results::Percentiles{});
  return fmt::format("{:.0f} req/s, p50 {:.2f} ms, p99 {:.2f} ms, errors {}", value(c.throughput_rps),
                     value(latency.p50) / 1000.0, value(latency.p99) / 1000.0,
                     static_cast<uint64_t>(value(c.errors)));
}

std::string ProgressLine(const results::RunRecord& record) {
  struct Line {
    std::string operator()(const results::ServerBody& b) const { return ServerProgressLine(b); }
    std::string operator()(const results::PipelineBody& b) const { return PipelineProgressLine(b); }
    std::string operator()(const results::AdaptiveBody& b) const { return AdaptiveProgressLine(b); }
  };
  return std::visit(Line{}, record.body);
}

class Runner {
 public:
  Runner(const StudySpec& spec, const StudyOptions& options) : spec_(spec), options_(options) {}

  Result<StudyTally> Run() {
    auto done = DoneRuns(options_.results_path, spec_.name);
    if (!done.ok()) return done.status();
    std::error_code ec;
    std::filesystem::create_directories(options_.work_dir, ec);
    if (ec) return InvalidArgument("cannot create '" + options_.work_dir + "': " + ec.message());
    auto machine = results::PartFromJson<results::Machine>(DescribeMachine());
    if (!machine.ok()) return Internal("the machine's description: " + machine.status().message());
    machine_ = std::move(*machine);

    auto planned = PlanCells();
    if (!planned.ok()) return planned.status();
    const std::vector<PlannedCell>& cells = *planned;

    StudyTally tally;
    tally.runs = static_cast<int>(cells.size()) * spec_.repetitions;
    std::vector<std::pair<const PlannedCell*, int>> todo;
    auto plan = [&](const PlannedCell& c, int r) {
      if (done->count({c.id, r}) > 0) {
        ++tally.skipped;
      } else {
        todo.push_back({&c, r});
      }
    };
    if (spec_.kind() == StudyKind::kAdaptive) {
      // Repetition outermost: each repetition runs every static candidate
      // and controller, interleaved, so the comparison within a repetition
      // shares the machine's state of the moment.
      for (int r = 0; r < spec_.repetitions; ++r) {
        for (const PlannedCell& c : cells) plan(c, r);
      }
    } else {
      for (const PlannedCell& c : cells) {
        for (int r = 0; r < spec_.repetitions; ++r) plan(c, r);
      }
    }
    if (tally.skipped > 0) Log(fmt::format("resuming: {} of {} runs already done", tally.skipped, tally.runs));
    const int64_t started = SteadyClock::Now();
    for (size_t i = 0; i < todo.size(); ++i) {
      const auto& [cell, rep] = todo[i];
      Log(fmt::format("[{}/{}] {} (repetition {})", tally.skipped + static_cast<int>(i) + 1, tally.runs, cell->id,
                      rep + 1));
      const results::RunRecord record = cell->run(rep);
      Status appended = AppendLine(options_.results_path, results::RecordLine(record));
      if (!appended.ok()) return appended;
      const int64_t elapsed = SteadyClock::Now() - started;
      const int64_t left = elapsed / static_cast<int64_t>(i + 1) * static_cast<int64_t>(todo.size() - i - 1);
      if (record.ok()) {
        ++tally.ok;
        Log(fmt::format("      {}   (elapsed {}, about {} left)", ProgressLine(record), Clock(elapsed),
                        Clock(left)));
      } else {
        ++tally.failed;
        Log(fmt::format("      FAILED: {}   (elapsed {}, about {} left)", record.error.value_or(""),
                        Clock(elapsed), Clock(left)));
      }
    }
    return tally;
  }

 private:
  // A cell of the study, with how to run one repetition of it.
  struct PlannedCell {
    std::string id;
    std::function<results::RunRecord(int repetition)> run;
  };

  // Every cell of the study, in the order the study lists them, once what
  // its kind needs is ready (the data set; the io database; the admin token).
  Result<std::vector<PlannedCell>> PlanCells() {
    std::vector<PlannedCell> cells;
    switch (spec_.kind()) {
      case StudyKind::kServer: {
        token_ = RandomToken();
        token_path_ = options_.work_dir + "/admin-token";
        Status wrote = WriteFileAtomically(token_path_, token_ + "\n");
        if (!wrote.ok()) return wrote;
        ::chmod(token_path_.c_str(), 0600);
        if (spec_.UsesDb()) {
          Status db = PrepareDb();
          if (!db.ok()) return db;
        }
        server_cells_ = spec_.Cells();
        for (const StudyCell& c : server_cells_) {
          cells.push_back({c.id, [this, &c](int rep) { return RunCell(c, rep); }});
        }
        break;
      }
      case StudyKind::kPipeline: {
        Status data = PrepareDataSet();
        if (!data.ok()) return data;
        for (const PipelineCellConfig& c : spec_.pipeline().cells) {
          cells.push_back({c.Id(), [this, &c](int rep) { return RunPipelineRepetition(c, rep); }});
        }
        break;
      }
      case StudyKind::kAdaptive: {
        if (spec_.UsesDb()) {
          Status db = PrepareDb();
          if (!db.ok()) return db;
        }
        for (const AdaptiveRunConfig& r : spec_.adaptive().runs) {
          cells.push_back({r.Id(), [this, &r](int rep) { return RunAdaptiveRepetition(r, rep); }});
        }
        break;
      }
    }
    return cells;
  }

  static std::string Clock(int64_t us) {
    int64_t s = (us + 500'000) / 1'000'000;
    return fmt::format("{}:{:02}", s / 60, s % 60);
  }

  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  Status PrepareDb() {
    db_path_ = options_.work_dir + "/kv-" + std::to_string(spec_.db_rows) + ".db";
    if (ValidateKvDatabase(db_path_).ok()) return Status::Ok();
    Log(fmt::format("generating the io database ({} rows) at {}", spec_.db_rows, db_path_));
    return GenerateKvDatabase(db_path_, spec_.db_rows);
  }

  // The fields every record starts with.
  results::RunRecord RecordHead(const std::string& cell_id, int repetition) const {
    results::RunRecord record;
    record.schema = 1;
    record.study = spec_.name;
    record.cell = cell_id;
    record.repetition = repetition;
    record.started_at = UtcNowRfc3339();
    record.machine = machine_;
    return record;
  }

  // The pipeline study's data set, generated once into the work directory
  // and reused by every cell and every later resume of the study.
  Status PrepareDataSet() {
    const StudyDataSet& d = spec_.pipeline().data;
    // Absolute: the records name it, and must still when read from elsewhere.
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(options_.work_dir, ec);
    data_dir_ = (ec ? std::filesystem::path(options_.work_dir) : absolute).lexically_normal().string() + "/" +
                d.DirName();
    auto manifest = LoadManifest(data_dir_);
    const bool reusable = manifest.ok() && manifest->files == d.files && manifest->min_bytes == d.min_bytes &&
                          manifest->max_bytes == d.max_bytes && manifest->seed == d.seed;
    if (!reusable) {
      Log(fmt::format("generating the data set ({} files of {} to {} bytes, seed {}) at {}", d.files, d.min_bytes,
                      d.max_bytes, d.seed, data_dir_));
      DataSetOptions gen;
      gen.files = d.files;
      gen.min_bytes = d.min_bytes;
      gen.max_bytes = d.max_bytes;
      gen.seed = d.seed;
      gen.out_dir = data_dir_;
      gen.force = true;  // what an interrupted generation left behind
      manifest = GenerateDataSet(gen);
      if (!manifest.ok()) {
        return Status(manifest.status().code(), "the study's data set: " + manifest.status().message());
      }
    }
    data_set_ = results::DataSet{};
    data_set_.dir = data_dir_;
    data_set_.files = d.files;
    data_set_.min_bytes = d.min_bytes;
    data_set_.max_bytes = d.max_bytes;
    data_set_.seed = static_cast<int64_t>(d.seed);
    data_set_.bytes = manifest->total_bytes;
    return Status::Ok();
  }

  results::RunRecord RunPipelineRepetition(const PipelineCellConfig& cell, int repetition) {
    results::RunRecord record = RecordHead(cell.Id(), repetition);
    record.body.emplace<results::PipelineBody>().data = data_set_;
    PipelineRunSetup setup;
    setup.binary = options_.binary;
    setup.data_dir = data_dir_;
    setup.scratch_dir = options_.work_dir;
    setup.timeout_us = spec_.pipeline().timeout_us;
    return RunPipelineCell(setup, cell, std::move(record));
  }

  results::RunRecord RunAdaptiveRepetition(const AdaptiveRunConfig& run, int repetition) {
    AdaptiveRunSetup setup;
    setup.binary = options_.binary;
    setup.work_dir = options_.work_dir;
    setup.db_path = spec_.UsesDb() ? db_path_ : "";
    setup.warmup_us = spec_.warmup_us;
    setup.ready_timeout_us = kReadyTimeoutUs;
    return RunAdaptiveServer(setup, spec_.adaptive(), run, repetition, RecordHead(run.Id(), repetition));
  }

  results::RunRecord RunCell(const StudyCell& cell, int repetition) {
    results::RunRecord record = RecordHead(cell.id, repetition);
    results::ServerBody& body = record.body.emplace<results::ServerBody>();
    const LoadPhase phase = PhaseOf(cell);
    body.config = SettingsOf(cell.server);
    body.workload = results::WorkloadSpec{};
    body.workload->name = cell.workload->name;
    body.workload->mix = cell.workload->mix;
    // The load as the load generator describes it, and its point for charts.
    if (auto load = results::PartFromJson<results::Load>(json::parse(phase.LoadJson())); load.ok()) {
      body.load = std::move(*load);
      body.load->x = cell.point;
    }
    body.warmup_s = static_cast<double>(spec_.warmup_us) / 1e6;
    body.duration_s = static_cast<double>(spec_.duration_us) / 1e6;
    Status measured = MeasureCell(cell, phase, repetition, record.started_at.value_or(""), body);
    if (!measured.ok()) {
      record.status = results::RunStatus::kFailed;
      record.error = measured.message();
      return record;
    }
    record.status = results::RunStatus::kOk;
    return record;
  }

  // The load of a cell: its workload's mix at its load point.
  LoadPhase PhaseOf(const StudyCell& cell) const {
    LoadPhase phase;
    phase.name = cell.workload->name;
    phase.mix = *RequestMix::Parse(cell.workload->mix);  // validated when the study was read
    phase.duration_us = spec_.duration_us;
    if (cell.workload->open_loop) {
      phase.rate = cell.point;
      phase.arrivals = cell.workload->arrivals;
      phase.connections = kDefaultOpenLoopConnections;
    } else {
      phase.connections = static_cast<int>(cell.point);
    }
    return phase;
  }

  // Starts the cell's server, warms it up, resets its statistics, measures
  // between two /stats reads, stops it; puts the client's and the server's
  // figures in `body`. The error says why the cell failed.
  Status MeasureCell(const StudyCell& cell, const LoadPhase& phase, int repetition, const std::string& started_at,
                     results::ServerBody& body) {
    std::vector<std::string> args = cell.server.ServeArgs();
    args.insert(args.end(), {"--admin-token-file", token_path_, "--log-level", "warn"});
    if (cell.workload->uses_db) args.insert(args.end(), {"--db", db_path_});
    auto server = ServerChild::Start(options_.binary, args, kReadyTimeoutUs);
    if (!server.ok()) return Unavailable(server.status().message());
    ServerChild& child = **server;

    LoadOptions load;
    load.target = *TargetUrl::Parse("http://127.0.0.1:" + std::to_string(child.port()) + "/score");
    load.phases.push_back(phase);
    load.seed = static_cast<uint64_t>(repetition) + 1;
    if (spec_.warmup_us > 0) {
      LoadOptions warm = load;
      warm.phases[0].duration_us = spec_.warmup_us;
      auto warmed = RunLoad(warm);
      if (!warmed.ok()) return Unavailable("warm-up: " + warmed.status().message());
    }
    auto reset = HttpFetch(child.port(), "POST", "/admin/stats/reset", "{}", token_);
    if (!reset.ok() || reset->status != 200) {
      return Unavailable("cannot reset the server's statistics: " +
                         (reset.ok() ? std::to_string(reset->status) + " " + reset->body : reset.status().message()));
    }
    auto before = FetchStats(child);
    if (!before.ok()) return Unavailable(before.status().message());

    auto result = RunLoad(load);
    if (!result.ok()) return Unavailable(result.status().message());
    if (auto code = child.Exited()) {
      return Unavailable(
          fmt::format("the server exited (status {}) during the measurement: {}", *code, child.OutputTail()));
    }
    auto after = FetchStats(child);
    if (!after.ok()) return Unavailable(after.status().message());
    const int stopped = child.Stop();

    RunDescription run;
    run.url = load.target.ToString();
    run.started_at = started_at;
    run.phases = load.phases;
    json summary = SummaryJson(run, *result);
    summary.erase("timeseries");
    auto client = results::PartFromJson<results::ClientSummary>(summary);
    if (!client.ok()) return Internal("the load's summary (`client`): " + client.status().message());
    body.client = std::move(*client);
    json stats = {{"latency_us", ServerLatency(*after)},
                  {"process_tree", ProcessTreeDelta(*before, *after)},
                  {"exit_status", stopped}};
    // Both reset with the window (/admin/stats/reset): the end's values are the window's.
    if (after->contains("late_replies")) stats["late_replies"] = (*after)["late_replies"];
    if (after->contains("python")) stats["python"] = (*after)["python"];
    auto server_figures = results::PartFromJson<results::ServerFigures>(stats);
    if (!server_figures.ok()) return Internal("GET /stats (`server`): " + server_figures.status().message());
    body.server = std::move(*server_figures);
    body.derived = DerivedOf(*body.client, *body.server);
    return Status::Ok();
  }

  Result<json> FetchStats(ServerChild& child) {
    auto r = HttpFetch(child.port(), "GET", "/stats");
    if (!r.ok()) return Unavailable("GET /stats: " + r.status().message());
    if (r->status != 200) return Unavailable("GET /stats answered " + std::to_string(r->status));
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) return Unavailable("GET /stats answered something that is not JSON");
    return j;
  }

  const StudySpec& spec_;
  const StudyOptions& options_;
  std::vector<StudyCell> server_cells_;  // server studies: what the planned cells run
  std::string token_;
  std::string token_path_;
  std::string db_path_;
  std::string data_dir_;       // pipeline studies
  results::DataSet data_set_;  // pipeline studies: the record's `data`
  results::Machine machine_;
};

}  // namespace

Result<StudyTally> RunStudy(const StudySpec& spec, const StudyOptions& options) {
  if (options.results_path.empty()) return InvalidArgument("no results file given");
  if (options.work_dir.empty()) return InvalidArgument("no work directory given");
  return Runner(spec, options).Run();
}

}  // namespace switchyard
