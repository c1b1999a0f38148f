#include "server/stats_json.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "executor/config_json.h"
#include "metrics/perf_counters.h"
#include "metrics/process_tree.h"
#include "server/histogram_json.h"

namespace switchyard {
namespace {

using nlohmann::json;

json CountersJson(const std::array<std::atomic<uint64_t>, 600>& counters) {
  json by_status = json::object();
  uint64_t total = 0;
  for (size_t s = 100; s < counters.size(); ++s) {
    uint64_t n = counters[s].load(std::memory_order_relaxed);
    if (n != 0) {
      by_status[std::to_string(s)] = n;
      total += n;
    }
  }
  return {{"total", total}, {"by_status", by_status}};
}

// The whole tree under this process: the server, the zygote, worker processes.
json ProcessTreeJson(const ProcessTreeFigures& t) {
  return {{"processes", t.processes},
          {"cpu_user_s", t.cpu_user_s},
          {"cpu_system_s", t.cpu_system_s},
          {"voluntary_ctxt_switches", t.voluntary_ctxt_switches},
          {"involuntary_ctxt_switches", t.involuntary_ctxt_switches},
          {"minor_faults", t.minor_faults},
          {"major_faults", t.major_faults},
          {"rss_bytes", t.rss_bytes},
          {"pss_bytes", t.pss_bytes}};
}

// Sets j["perf"] (a number or null per counter) and j["perf_unavailable"]
// (the reason for each null): an unavailable counter is never a zero.
void AddPerfJson(const PerfCounters* counters, json& j) {
  json values = json::object();
  json unavailable = json::object();
  if (counters == nullptr) {
    for (int i = 0; i < kPerfCounterCount; ++i) {
      std::string name(PerfCounterName(static_cast<PerfCounterId>(i)));
      values[name] = nullptr;
      unavailable[name] = "perf counters were not opened in this server";
    }
  } else {
    for (const PerfReading& r : counters->Read()) {
      std::string name(r.name);
      if (r.value) {
        values[name] = *r.value;
      } else {
        values[name] = nullptr;
        unavailable[name] = r.unavailable_reason;
      }
    }
  }
  j["perf"] = std::move(values);
  j["perf_unavailable"] = std::move(unavailable);
}

}  // namespace

std::string RenderStats(const StatsSources& in) {
  std::shared_ptr<Executor> executor = in.slot.Current();
  json j;
  j["ready"] = in.state.ready.load();
  j["uptime_s"] = static_cast<double>(in.uptime_us) / 1e6;
  json config = executor ? ConfigJson(executor->config()) : ConfigJson(in.options.executor);
  config["port"] = in.port;
  config["io_threads"] = in.options.http.loops;
  config["max_iters"] = in.options.limits.max_iters;
  config["max_body_bytes"] = in.options.http.max_body_bytes;
  config["max_connections"] = in.options.http.max_connections;
  j["config"] = config;
  j["predictor"] = {{"name", in.predictor.name()}};
  const Controller* controller = in.controller;
  j["controller"] = controller ? controller->StatsJson() : json{{"algorithm", "static"}, {"switches", 0}};
  j["score"] = CountersJson(in.metrics.score_by_status);      // POST /score replies
  j["replies"] = CountersJson(in.metrics.replies_by_status);  // every reply
  if (executor) {
    ExecutorStats s = executor->Stats();
    j["queue_length"] = s.queued;
    j["in_flight"] = s.in_flight;
    j["executor"] = {{"kind", s.kind},
                     {"workers", s.workers},
                     {"queued", s.queued},
                     {"in_flight", s.in_flight},
                     {"completed", s.completed},
                     {"worker_restarts", s.worker_restarts},
                     {"worker_pids", s.worker_pids}};
  } else {
    j["queue_length"] = 0;
    j["in_flight"] = 0;
  }
  j["requests_in_progress"] = in.metrics.requests_in_progress.load();
  j["connections"] = {{"active", in.metrics.active_connections.load()},
                      {"accepted", in.metrics.accepted_connections.load()},
                      {"refused", in.metrics.refused_connections.load()},
                      {"timed_out", in.metrics.timed_out_connections.load()}};
  j["reconfigurations"] = in.metrics.reconfigurations.load();
  j["moved_jobs"] = in.metrics.moved_jobs.load();
  j["late_replies"] = in.metrics.late_replies.load();
  j["latency_us"] = {{"queue", HistogramJson(in.metrics.queue_us)},
                     {"service", HistogramJson(in.metrics.service_us)},
                     {"total", HistogramJson(in.metrics.total_us)}};
  // Dynamic batching: {"batches", "requests", "rows", "by_size": {"N": count}, "queue_us": histogram}.
  uint64_t batches = 0, batched_requests = 0;
  nlohmann::json by_size = nlohmann::json::object();
  for (size_t n = 1; n < ServerMetrics::kBatchSizes; ++n) {
    const uint64_t c = in.metrics.batches_by_size[n].load();
    if (c == 0) continue;
    batches += c;
    batched_requests += c * n;
    by_size[n + 1 == ServerMetrics::kBatchSizes ? std::to_string(n) + "+" : std::to_string(n)] = c;
  }
  j["batching"] = {{"batches", batches},
                   {"requests", batched_requests},
                   {"rows", in.metrics.batched_rows.load()},
                   {"by_size", by_size},
                   {"queue_us", HistogramJson(in.metrics.batch_queue_us)}};
  // About 1 ms of /proc reads (a scan of every process on the machine to
  // find the tree, then a few files per member), here on the event loop:
  // /stats is read now and then by people and studies, not per request.
  auto tree = ReadProcessTree(::getpid());
  if (tree.ok()) {
    j["process_tree"] = ProcessTreeJson(*tree);
  } else {
    j["process_tree"] = nullptr;
    j["process_tree_error"] = tree.status().message();
  }
  AddPerfJson(in.options.perf_counters, j);
  if (!in.python.empty()) j["python"] = in.python.Json();
  return j.dump();
}

}  // namespace switchyard
