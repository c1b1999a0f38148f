// Test fixtures for the report: realistic `switchyard study` result records
// (docs/results-schema.md), written the way the study writes them, with the
// fields the report ignores (client url, time series-less bench summary,
// server service latencies, perf counters) and a few unknown fields. The
// bench summary's `entries`, `clients` and `jain_index` are written only when
// a run names them, so the default records are in the older format.
//
// Header-only so that each test binary can include it.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::report::fixture {

struct Config {
  std::string executor = "threads";
  int workers = 2;
  std::string ipc = "shm";  // meaningful for processes only
  int offload = 0;
  std::string policy = "fifo";
};

// A mix entry's (client.entries) or a client's (client.clients) figures.
struct FixtureGroup {
  std::string name;
  double goodput = 100;
  double ok_p50_ms = 1, ok_p99_ms = 3;
  std::string client;  // entries: the client the entry names
  double rejected_503 = 0, expired_504 = 0;
};

inline FixtureGroup Group(std::string name, double goodput, double ok_p50_ms, double ok_p99_ms,
                          std::string client = "") {
  FixtureGroup g;
  g.name = std::move(name);
  g.goodput = goodput;
  g.ok_p50_ms = ok_p50_ms;
  g.ok_p99_ms = ok_p99_ms;
  g.client = std::move(client);
  return g;
}

// What one record says. Optional figures left empty are written as null
// (perf counters) or left out (server figures).
struct FixtureRun {
  std::string study = "fixture study";
  std::string workload = "cpu";
  std::string mix = "cpu:iters=100000:1";
  Config config;
  bool open_loop = false;
  double x = 1;  // connections (closed) or rate (open)
  int repetition = 0;
  bool failed = false;
  std::string error;  // failed only
  double goodput = 1000;
  double errors = 0;
  double p50_ms = 1, p95_ms = 2, p99_ms = 3;
  std::optional<double> cpu_s_per_request = 0.001;
  std::optional<double> ctxt_per_request = 2.5;
  std::optional<double> pss_mib = 40;
  std::string cell_override;  // non-empty: the cell id to write
  // server.latency_us.queue; empty: left out.
  std::optional<double> queue_mean_us = 150, queue_p99_us = 900;
  // Non-empty: client.entries / client.clients (and client.jain_index).
  std::vector<FixtureGroup> entries, clients;
  std::optional<double> jain_index;  // written (null when empty) with clients
};

inline std::string FormatX(double x) {
  if (x == std::floor(x)) return std::to_string(static_cast<long long>(x));
  return std::to_string(x);
}

inline std::string CellId(const FixtureRun& r) {
  if (!r.cell_override.empty()) return r.cell_override;
  std::string id = r.config.executor + ".w" + std::to_string(r.config.workers) + "." + r.config.policy;
  if (r.config.executor == "processes") id += ".forkserver." + r.config.ipc;
  id += "." + r.workload + (r.open_loop ? ".r" : ".c") + FormatX(r.x);
  return id;
}

inline nlohmann::json Latency(double p50_ms, double p95_ms, double p99_ms, double count) {
  return {{"count", count},       {"mean", p50_ms * 1100}, {"min", p50_ms * 300},
          {"p50", p50_ms * 1000}, {"p90", p95_ms * 900},   {"p95", p95_ms * 1000},
          {"p99", p99_ms * 1000}, {"p999", p99_ms * 1300}, {"max", p99_ms * 2000}};
}

inline nlohmann::json MakeRecord(const FixtureRun& r) {
  using nlohmann::json;
  const double duration = 10;
  json rec = {
      {"schema", 1},
      {"study", r.study},
      {"cell", CellId(r)},
      {"repetition", r.repetition},
      {"status", r.failed ? "failed" : "ok"},
      {"started_at", "2026-11-25T10:" + std::string(r.repetition < 1 ? "00" : "30") + ":00Z"},
      {"machine",
       {{"cores", 2},
        {"cpu", "AMD EPYC 7B13"},
        {"kernel", "6.1.0-27-amd64"},
        {"memory_gib", 7.8},
        {"hostname", "bench-vm"}}},
      {"config",
       {{"executor", r.config.executor},
        {"workers", r.config.workers},
        {"policy", r.config.policy},
        {"start", "forkserver"},
        {"ipc", r.config.ipc},
        {"offload", r.config.offload},
        {"io_threads", 0}}},
      {"workload", {{"name", r.workload}, {"mix", r.mix}}},
      {"warmup_s", 2},
      {"duration_s", duration},
      {"resumed", false},  // unknown to the report: ignored
  };
  if (r.open_loop) {
    rec["load"] = {{"mode", "open"}, {"rate", r.x}, {"arrivals", "poisson"}, {"x", r.x}};
  } else {
    rec["load"] = {{"mode", "closed"}, {"connections", r.x}, {"x", r.x}};
  }
  if (r.failed) {
    rec["error"] = r.error;
    return rec;
  }
  double ok = std::round(r.goodput * duration);
  double requests = ok + r.errors;
  json client = {
      {"schema", 1},
      {"tool", "switchyard bench"},
      {"url", "http://127.0.0.1:8080/score"},
      {"started_at", "2026-11-25T10:00:02Z"},
      {"mix", r.mix},
      {"warmup_s", 2},
      {"duration_s", duration},
      {"requests", requests},
      {"ok", ok},
      {"errors", r.errors},
      {"errors_by_status", {{"503", r.errors}}},
      {"throughput_rps", requests / duration},
      {"goodput_rps", r.goodput},
      {"sent", requests},
      {"late_sends", 0},
      {"late_sends_generator", 0},
      {"generator_saturated", false},
      {"latency_us", Latency(r.p50_ms, r.p95_ms, r.p99_ms, requests)},
      {"latency_by_kind_us", {{"cpu", Latency(r.p50_ms, r.p95_ms, r.p99_ms, requests)}}},
  };
  auto group = [&](const FixtureGroup& g) {
    double g_ok = std::round(g.goodput * duration);
    double g_errors = g.rejected_503 + g.expired_504;
    json out = {{"requests", g_ok + g_errors},
                {"ok", g_ok},
                {"errors", g_errors},
                {"errors_by_status", json::object()},
                {"rejected_503", g.rejected_503},
                {"expired_504", g.expired_504},
                {"throughput_rps", (g_ok + g_errors) / duration},
                {"goodput_rps", g.goodput},
                {"ok_latency_us", Latency(g.ok_p50_ms, g.ok_p99_ms, g.ok_p99_ms, g_ok)}};
    if (g.rejected_503 > 0) out["errors_by_status"]["503"] = g.rejected_503;
    if (g.expired_504 > 0) out["errors_by_status"]["504"] = g.expired_504;
    return out;
  };
  if (!r.entries.empty()) {
    json entries = json::object();
    for (const auto& g : r.entries) {
      entries[g.name] = group(g);
      entries[g.name]["spec"] = "cpu:iters=1000:label=" + g.name;
      entries[g.name]["client"] = g.client;
    }
    client["entries"] = entries;
  }
  if (!r.clients.empty()) {
    json clients = json::object();
    for (const auto& g : r.clients) clients[g.name] = group(g);
    client["clients"] = clients;
    client["jain_index"] = r.jain_index ? json(*r.jain_index) : json(nullptr);
  }
  client["load"] = rec["load"];
  if (r.open_loop) client["offered_rps"] = r.x;
  rec["client"] = client;

  json tree = {{"processes", r.config.executor == "processes" ? r.config.workers + 2 : 1},
               {"minor_faults", 1200},
               {"major_faults", 0},
               {"rss_bytes", 64.0 * 1024 * 1024},
               {"perf",
                {{"task_clock_ms", 9500.5},
                 {"context_switches", 41000},
                 {"cycles", nullptr},
                 {"cache_misses", nullptr}}},
               {"perf_unavailable", "perf_event_open: hardware counters not supported in this VM"}};
  if (r.cpu_s_per_request) {
    tree["cpu_user_s"] = *r.cpu_s_per_request * requests * 0.8;
    tree["cpu_system_s"] = *r.cpu_s_per_request * requests * 0.2;
  }
  if (r.ctxt_per_request) {
    tree["voluntary_ctxt_switches"] = std::round(*r.ctxt_per_request * requests * 0.75);
    tree["involuntary_ctxt_switches"] = std::round(*r.ctxt_per_request * requests * 0.25);
  }
  if (r.pss_mib) tree["pss_bytes"] = *r.pss_mib * 1024 * 1024;
  json queue = {{"p50", 100}, {"p95", 400}, {"count", requests}};
  if (r.queue_mean_us) queue["mean"] = *r.queue_mean_us;
  if (r.queue_p99_us) queue["p99"] = *r.queue_p99_us;
  json latency = {
      {"service", {{"p50", 800}, {"p95", 1200}, {"p99", 1500}, {"mean", 850}, {"count", requests}}},
      {"total", {{"p50", 900}, {"p95", 1600}, {"p99", 2400}, {"mean", 1000}, {"count", requests}}}};
  if (r.queue_mean_us || r.queue_p99_us) latency["queue"] = queue;
  rec["server"] = {{"latency_us", latency}, {"process_tree", tree}};
  json derived = json::object();
  derived["cpu_s_per_request"] = r.cpu_s_per_request ? json(*r.cpu_s_per_request) : json(nullptr);
  derived["ctxt_switches_per_request"] = r.ctxt_per_request ? json(*r.ctxt_per_request) : json(nullptr);
  rec["derived"] = derived;
  return rec;
}

inline std::string ToJsonl(const std::vector<FixtureRun>& runs) {
  std::string out;
  for (const auto& r : runs) out += MakeRecord(r).dump() + "\n";
  return out;
}

// The configurations of the tiny study, in matrix order.
inline std::vector<Config> TinyConfigs() {
  return {{"threads", 2, "shm", 0}, {"processes", 2, "shm", 0}, {"async", 2, "shm", 0}};
}

// The tiny study: workloads cpu (closed loop: 4, 16, 64 connections) and io
// (open loop: 500, 1000, 2000 req/s) x threads w2, processes w2 shm, async w2
// x 2 repetitions. Repetition 0 is 10% below the modelled figure and
// repetition 1 10% above, so the median of a cell is the model itself
// (TinyModel). The last record (io, async w2, 2000 req/s, repetition 1)
// failed.
inline FixtureRun TinyModel(const std::string& workload, size_t config, size_t load_index) {
  FixtureRun r;
  r.workload = workload;
  r.config = TinyConfigs()[config];
  r.open_loop = workload == "io";
  r.mix = workload == "io" ? "io:keys=100000:1" : "cpu:iters=100000:1";
  static const double kClosed[] = {4, 16, 64};
  static const double kOpen[] = {500, 1000, 2000};
  r.x = r.open_loop ? kOpen[load_index] : kClosed[load_index];
  // Capacity per configuration; async overtakes at high load on io.
  static const double kCpuCapacity[] = {240, 230, 200};
  static const double kIoCapacity[] = {1500, 1300, 2200};
  double cap = workload == "io" ? kIoCapacity[config] : kCpuCapacity[config];
  double offered = r.open_loop ? r.x : r.x * 60;
  r.goodput = std::min(offered, cap);
  r.p50_ms = 2.0 * static_cast<double>(load_index + 1) + static_cast<double>(config);
  r.p95_ms = r.p50_ms * 2;
  r.p99_ms = r.p50_ms * 4;
  r.errors = static_cast<double>(load_index * 2);
  r.cpu_s_per_request = 0.004 + 0.001 * static_cast<double>(config);
  r.ctxt_per_request = 2.0 + static_cast<double>(config * 3 + load_index);
  r.pss_mib = 30.0 + 25.0 * static_cast<double>(config) + static_cast<double>(load_index);
  return r;
}

inline std::vector<FixtureRun> TinyStudy() {
  std::vector<FixtureRun> runs;
  for (std::string w : {"cpu", "io"}) {
    for (size_t li = 0; li < 3; ++li) {
      for (size_t c = 0; c < 3; ++c) {
        for (int rep = 0; rep < 2; ++rep) {
          FixtureRun r = TinyModel(w, c, li);
          r.repetition = rep;
          double f = rep == 0 ? 0.9 : 1.1;
          r.goodput *= f;
          r.p50_ms *= f;
          r.p95_ms *= f;
          r.p99_ms *= f;
          r.errors = rep == 0 ? r.errors : r.errors + 2;  // median: model + 1
          *r.cpu_s_per_request *= f;
          *r.ctxt_per_request *= f;
          *r.pss_mib *= f;
          runs.push_back(r);
        }
      }
    }
  }
  FixtureRun& last = runs.back();
  last.failed = true;
  last.error = "server died: worker exited with signal 9 (SIGKILL)";
  return runs;
}

// ---- pipeline records (`kind` "pipeline": one `switchyard load` run each) ----

// What one pipeline record says; mb_per_s is items_per_s x 5.5 (the mean
// file of the data set below).
struct PipelineFixtureRun {
  std::string study = "pipeline fixture";
  std::string loader = "threads";
  int workers = 2;  // written as 1 for sync, as the study does
  int matrix_size = 0;
  int batch = 8;
  int repetition = 0;
  bool failed = false;
  std::string error;  // failed only
  bool summary = true;  // failed runs: whether the child wrote its summary
  double items_per_s = 1000;
  double starvation = 0.25;
  double batch_wait_p99_ms = 4;
  double cpu_cores = 1.5;
  double pss_mb = 120;  // MB = 1e6 bytes
  double skipped = 0, errors = 0;
  std::string cache_state = "warm";
};

inline std::string PipelineCellId(const PipelineFixtureRun& r) {
  std::string id = r.loader;
  if (r.loader != "sync") id += ".w" + std::to_string(r.workers);
  return id + ".m" + std::to_string(r.matrix_size) + ".b" + std::to_string(r.batch) + ".pf2.c0.e1";
}

// A record as the study runner writes it, with the summary's fields the
// report does not read.
inline nlohmann::json MakePipelineRecord(const PipelineFixtureRun& r) {
  using nlohmann::json;
  const int workers = r.loader == "sync" ? 1 : r.workers;
  json rec = {
      {"schema", 1},
      {"kind", "pipeline"},
      {"study", r.study},
      {"cell", PipelineCellId(r)},
      {"repetition", r.repetition},
      {"status", r.failed ? "failed" : "ok"},
      {"started_at", "2026-11-26T09:0" + std::to_string(r.repetition % 10) + ":00Z"},
      {"machine",
       {{"cores", 2}, {"cpu", "AMD EPYC 7B13"}, {"kernel", "6.1.0-27-amd64"}, {"memory_gib", 7.8},
        {"hostname", "bench-vm"}}},
      {"data",
       {{"dir", "/tmp/results/pipeline.jsonl.d/data-f200-1000000-10000000-s1"},
        {"files", 200},
        {"min_bytes", 1000000},
        {"max_bytes", 10000000},
        {"seed", 1},
        {"bytes", 1071780628}}},
      {"config",
       {{"loader", r.loader},
        {"workers", workers},
        {"matrix_size", r.matrix_size},
        {"batch", r.batch},
        {"prefetch", 2},
        {"consumer_ms", 0.0},
        {"epochs", 1}}},
      {"exit_status", r.failed ? 1 : 0},
      {"run_wall_s", 0.5},
  };
  if (r.failed) rec["error"] = r.error;
  if (r.failed && !r.summary) return rec;
  const double wall = 200 / r.items_per_s;
  rec["pipeline"] = {
      {"loader", r.loader},
      {"workers", workers},
      {"matrix_size", r.matrix_size},
      {"batch", r.batch},
      {"prefetch", 2},
      {"consumer_ms", 0.0},
      {"epochs", 1},
      {"delivery", "in-order"},
      {"data", {{"dir", "/tmp/data"}, {"files", 200}, {"bytes", 1071780628}}},
      {"cache", {{"resident_at_start", r.cache_state == "warm" ? 1.0 : 0.0}, {"state", r.cache_state}}},
      {"items", 200 - r.skipped - r.errors},
      {"bytes", 1071780628},
      {"batches", 25},
      {"skipped", r.skipped},
      {"errors", r.errors},
      {"setup_s", 0.01},
      {"wall_s", wall},
      {"items_per_s", r.items_per_s},
      {"mb_per_s", r.items_per_s * 5.5},
      {"batches_per_s", 25 / wall},
      {"starvation", r.starvation},
      {"batch_wait_ms",
       {{"p50", r.batch_wait_p99_ms / 4},
        {"p95", r.batch_wait_p99_ms / 2},
        {"p99", r.batch_wait_p99_ms},
        {"max", r.batch_wait_p99_ms * 2},
        {"mean", r.batch_wait_p99_ms / 3}}},
      {"cpu", {{"user_s", r.cpu_cores * wall * 0.7}, {"system_s", r.cpu_cores * wall * 0.3},
               {"utilisation", r.cpu_cores}}},
      {"ctx_switches", {{"voluntary", 900}, {"involuntary", 40}}},
      {"pss_bytes", r.pss_mb * 1e6},
      {"rss_bytes", r.pss_mb * 1.5e6},
      {"workers_replaced", 0},
      {"duplicates", 0},
      {"missing", 0},
      {"verify", {{"checked", false}}},
      {"warnings", json::array()},
      {"warnings_total", 0},
  };
  return rec;
}

inline std::string PipelineJsonl(const std::vector<PipelineFixtureRun>& runs) {
  std::string out;
  for (const auto& r : runs) out += MakePipelineRecord(r).dump() + "\n";
  return out;
}

// The pipeline study: matrix sizes 0 and 200 x sync, threads, processes and
// async x 1, 2 and 4 workers (sync once) x 3 repetitions at 0.9, 1.0 and 1.1
// times the modelled figures (so a cell's median is the model,
// PipelineModel). At matrix 0 async w4 is fastest (1400 items/s), then
// threads w4 (1300), and sync does 500; at matrix 200 processes w4 (700) is
// fastest, then threads w2 (600), sync 200. The last record (async w4,
// matrix 200, repetition 2) failed with its summary written.
inline PipelineFixtureRun PipelineModel(const std::string& loader, int workers, int matrix_size) {
  PipelineFixtureRun r;
  r.loader = loader;
  r.workers = workers;
  r.matrix_size = matrix_size;
  const int w = workers == 1 ? 0 : workers == 2 ? 1 : 2;
  // items/s by loader and worker index (1, 2, 4)
  static const double kM0[][3] = {{500, 500, 500}, {700, 1100, 1300}, {600, 900, 1200}, {800, 1200, 1400}};
  static const double kM200[][3] = {{200, 200, 200}, {300, 600, 550}, {280, 500, 700}, {250, 400, 450}};
  const int l = loader == "sync" ? 0 : loader == "threads" ? 1 : loader == "processes" ? 2 : 3;
  r.items_per_s = (matrix_size == 0 ? kM0 : kM200)[l][w];
  r.starvation = 0.1 * (l + 1) + 0.01 * w;
  r.batch_wait_p99_ms = 2.0 + l + w;
  r.cpu_cores = 0.5 + 0.5 * w;
  r.pss_mb = 100.0 + 50.0 * l + 10.0 * w;
  return r;
}

inline std::vector<PipelineFixtureRun> PipelineStudy() {
  std::vector<PipelineFixtureRun> runs;
  for (int m : {0, 200}) {
    for (std::string loader : {"sync", "threads", "processes", "async"}) {
      for (int workers : {1, 2, 4}) {
        if (loader == "sync" && workers > 1) continue;
        for (int rep = 0; rep < 3; ++rep) {
          PipelineFixtureRun r = PipelineModel(loader, workers, m);
          r.repetition = rep;
          const double f = rep == 0 ? 0.9 : rep == 1 ? 1.1 : 1.0;
          r.items_per_s *= f;
          r.starvation *= f;
          r.batch_wait_p99_ms *= f;
          r.cpu_cores *= f;
          r.pss_mb *= f;
          runs.push_back(r);
        }
      }
    }
  }
  PipelineFixtureRun& last = runs.back();
  last.failed = true;
  last.error = "switchyard load exited with status 1: 3 file(s) could not be read";
  last.errors = 3;
  return runs;
}

}  // namespace switchyard::report::fixture
