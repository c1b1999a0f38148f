#include "report/run_view.h"

#include <algorithm>
#include <utility>

namespace switchyard::report {
namespace {

Figure Ratio(Figure num, Figure den) {
  if (!num || !den || *den <= 0) return std::nullopt;
  return *num / *den;
}

Figure Sum(Figure a, Figure b) {
  if (!a || !b) return std::nullopt;
  return *a + *b;
}

std::string Text(const std::optional<std::string>& s) { return s.value_or(""); }

// Where an entry appears in its mix: at its `label=NAME`, else at its text;
// npos when neither is found (a token ends at ':', ',' or the end).
size_t PositionInMix(const std::string& mix, const GroupFigures& g) {
  auto find_token = [&](const std::string& token) {
    for (size_t p = mix.find(token); p != std::string::npos; p = mix.find(token, p + 1)) {
      size_t end = p + token.size();
      if (end == mix.size() || mix[end] == ':' || mix[end] == ',') return p;
    }
    return std::string::npos;
  };
  size_t p = find_token("label=" + g.name);
  if (p == std::string::npos && !g.spec.empty()) p = find_token(g.spec);
  return p;
}

// client.entries or client.clients, by name (the null ones skipped).
std::vector<GroupFigures> GroupsOf(
    const std::optional<std::map<std::string, results::GroupSummary>>& groups) {
  std::vector<GroupFigures> out;
  if (!groups) return out;
  for (const auto& [name, s] : *groups) {
    if (!s.extra.is_object()) continue;  // null: nothing to show
    GroupFigures g;
    g.name = name;
    g.client = Text(s.client);
    g.spec = Text(s.spec);
    g.goodput_rps = FigureOf(s.goodput_rps);
    if (s.ok_latency_us) {
      g.ok_p50_us = FigureOf(s.ok_latency_us->p50);
      g.ok_p99_us = FigureOf(s.ok_latency_us->p99);
    }
    g.rejected_503 = FigureOf(s.rejected_503);
    g.expired_504 = FigureOf(s.expired_504);
    out.push_back(std::move(g));
  }
  return out;
}

ServerConfig ConfigOf(const results::ServerCellSettings& c) {
  ServerConfig out;
  out.executor = Text(c.executor);
  out.workers = c.workers;
  out.policy = Text(c.policy);
  out.start = Text(c.start);
  out.ipc = Text(c.ipc);
  out.offload = c.offload;
  out.io_threads = c.io_threads;
  out.intra_op_threads = c.intra_op_threads;
  return out;
}

// The client's figures, with throughput and goodput derived when missing.
void PutClientFigures(const results::ClientSummary& c, Figure record_duration, RunView& v) {
  CellFigures& f = v.figures;
  f.throughput_rps = FigureOf(c.throughput_rps);
  f.goodput_rps = FigureOf(c.goodput_rps);
  f.errors = FigureOf(c.errors);
  Figure duration = FigureOf(c.duration_s);
  if (!duration) duration = record_duration;
  if (!f.throughput_rps) f.throughput_rps = Ratio(FigureOf(c.requests), duration);
  if (!f.goodput_rps) f.goodput_rps = Ratio(FigureOf(c.ok), duration);
  if (c.latency_us) {
    f.p50_us = FigureOf(c.latency_us->p50);
    f.p95_us = FigureOf(c.latency_us->p95);
    f.p99_us = FigureOf(c.latency_us->p99);
  }
  f.jain_index = FigureOf(c.jain_index);
  v.entries = GroupsOf(c.entries);
  v.clients = GroupsOf(c.clients);
  std::stable_sort(v.entries.begin(), v.entries.end(), [&](const GroupFigures& a, const GroupFigures& b) {
    return PositionInMix(v.mix, a) < PositionInMix(v.mix, b);
  });
}

// The GIL shares over the run's Python models, each weighted by its
// measured requests (a model with none, e.g. coroutines on async workers'
// loops, adds nothing).
void PutGilShares(const std::map<std::string, results::PythonModelFigures>& models, CellFigures& f) {
  double weight = 0, held = 0, wait = 0;
  for (const auto& [name, m] : models) {
    const double n = m.gil_measured_requests ? m.gil_measured_requests->value() : 0.0;
    if (n <= 0 || !m.gil_held_share || !m.gil_wait_share) continue;
    weight += n;
    held += n * m.gil_held_share->value();
    wait += n * m.gil_wait_share->value();
  }
  if (weight > 0) {
    f.gil_held_share = held / weight;
    f.gil_wait_share = wait / weight;
  }
}

// The server's figures, and the per-request ones derived from its process
// tree where the record has no `derived`.
void PutServerFigures(const results::ServerBody& body, RunView& v) {
  CellFigures& f = v.figures;
  Figure cpu_s, ctxt;
  if (body.server) {
    const auto& latency = body.server->latency_us;
    if (latency && latency->queue) {
      f.queue_mean_us = FigureOf(latency->queue->mean);
      f.queue_p99_us = FigureOf(latency->queue->p99);
    }
    if (const auto& tree = body.server->process_tree.value()) {
      f.pss_bytes = FigureOf(tree->pss_bytes);
      cpu_s = Sum(FigureOf(tree->cpu_user_s), FigureOf(tree->cpu_system_s));
      ctxt = Sum(FigureOf(tree->voluntary_ctxt_switches), FigureOf(tree->involuntary_ctxt_switches));
    }
    if (body.server->python) PutGilShares(*body.server->python, f);
  }
  if (body.derived) {
    f.cpu_s_per_request = FigureOf(body.derived->cpu_s_per_request);
    f.ctxt_switches_per_request = FigureOf(body.derived->ctxt_switches_per_request);
  }
  Figure requests;
  if (body.client) requests = FigureOf(body.client->requests);
  if (!f.cpu_s_per_request) f.cpu_s_per_request = Ratio(cpu_s, requests);
  if (!f.ctxt_switches_per_request) f.ctxt_switches_per_request = Ratio(ctxt, requests);
}

void PutServerRun(const results::ServerBody& body, RunView& v) {
  if (body.config) v.config = ConfigOf(*body.config);
  if (body.workload) {
    v.workload = Text(body.workload->name);
    v.mix = Text(body.workload->mix);
  }
  if (body.load) {
    v.load_mode = body.load->Mode();
    v.load_x = body.load->Point();
  }
  if (body.client) PutClientFigures(*body.client, FigureOf(body.duration_s), v);
  PutServerFigures(body, v);
}

PipelineRun PipelineRunOf(const results::PipelineBody& body) {
  PipelineRun run;
  if (const auto& c = body.config) {
    PipelineConfig& p = run.config;
    p.loader = Text(c->loader);
    p.workers = c->workers;
    p.matrix_size = c->matrix_size;
    p.batch = c->batch;
    p.prefetch = c->prefetch;
    p.consumer_ms = FigureOf(c->consumer_ms);
    p.epochs = c->epochs;
    p.args = c->args.value_or(std::vector<std::string>{});
  }
  if (const auto& d = body.data) {
    PipelineDataSet data;
    data.files = d->files;
    data.bytes = FigureOf(d->bytes);
    data.min_bytes = FigureOf(d->min_bytes);
    data.max_bytes = FigureOf(d->max_bytes);
    data.seed = d->seed;
    run.data = data;
  }
  if (const auto& s = body.pipeline) {
    PipelineFigures& f = run.figures;
    f.items_per_s = FigureOf(s->items_per_s);
    f.mb_per_s = FigureOf(s->mb_per_s);
    f.starvation = FigureOf(s->starvation);
    if (s->batch_wait_ms) f.batch_wait_p99_ms = FigureOf(s->batch_wait_ms->p99);
    if (s->cpu) f.cpu_cores = FigureOf(s->cpu->utilisation);
    f.pss_bytes = FigureOf(s->pss_bytes);
    f.skipped = FigureOf(s->skipped);
    f.errors = FigureOf(s->errors);
    f.workers_replaced = FigureOf(s->workers_replaced);
    if (s->cache) f.cache_state = Text(s->cache->state);
  }
  return run;
}

AdaptiveRun AdaptiveRunOf(const results::AdaptiveBody& body, int64_t repetition) {
  AdaptiveRun run;
  run.repetition = repetition;
  if (const auto& c = body.config) {
    run.is_static = c->role != results::AdaptiveRole::kController;
    run.name = Text(run.is_static ? c->candidate : c->controller);
    run.window_s = FigureOf(c->window_s);
    run.candidates = c->candidates.value_or(std::vector<std::string>{});
  }
  for (const results::PhaseFigures& p : body.phases.value_or(std::vector<results::PhaseFigures>{})) {
    AdaptivePhase ph;
    ph.name = Text(p.name);
    ph.start_s = FigureOf(p.start_s).value_or(0);
    ph.duration_s = FigureOf(p.duration_s).value_or(0);
    ph.reward = FigureOf(p.reward);
    ph.phase_reward = FigureOf(p.phase_reward);
    ph.p99_ms = FigureOf(p.p99_ms);
    ph.ok_rps = FigureOf(p.ok_rps);
    ph.sent = FigureOf(p.sent).value_or(0);
    ph.errors = FigureOf(p.errors).value_or(0);
    ph.lost = FigureOf(p.lost).value_or(0);
    run.phases.push_back(std::move(ph));
  }
  for (const results::SecondFigures& s : body.timeseries.value_or(std::vector<results::SecondFigures>{})) {
    if (!s.extra.is_object()) continue;  // not a second: older readers skipped it too
    AdaptiveSecond second;
    second.t_s = FigureOf(s.t_s).value_or(0);
    second.phase = s.phase.value();
    second.reward = FigureOf(s.reward).value_or(0);
    run.seconds.push_back(second);
  }
  for (const results::Decision& d : body.decisions.value_or(std::vector<results::Decision>{})) {
    if (!d.extra.is_object()) continue;
    AdaptiveDecision x;
    x.at_s = FigureOf(d.at_s).value_or(0);
    x.serving = Text(d.serving);
    x.reason = Text(d.reason);
    x.switched = d.switched.value_or(false);
    run.decisions.push_back(std::move(x));
  }
  run.switches = body.switches;
  return run;
}

}  // namespace

RunView ViewOf(const results::NumberedRecord& numbered) {
  const results::RunRecord& r = numbered.record;
  RunView v;
  v.line = numbered.line;
  v.study = Text(r.study);
  v.cell = r.cell;
  v.repetition = r.repetition;
  v.ok = r.ok();
  v.error = Text(r.error);
  v.started_at = Text(r.started_at);
  v.machine = r.machine;
  if (const auto* server = std::get_if<results::ServerBody>(&r.body)) PutServerRun(*server, v);
  if (const auto* pipeline = std::get_if<results::PipelineBody>(&r.body))
    v.pipeline = PipelineRunOf(*pipeline);
  if (const auto* adaptive = std::get_if<results::AdaptiveBody>(&r.body)) {
    v.adaptive = AdaptiveRunOf(*adaptive, r.repetition);
  }
  return v;
}

}  // namespace switchyard::report
