#include "report/results.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

namespace switchyard::report {
namespace {

using nlohmann::json;

std::string_view TypeName(const json& j) { return j.type_name(); }

// Reads the known fields of one line's object. The first type error is kept
// in `error` and later reads are harmless no-ops, so a record is read top to
// bottom and checked once at the end.
class LineReader {
 public:
  LineReader(std::string_view source, int line) : source_(source), line_(line) {}

  const Status& error() const { return error_; }

  void Fail(const std::string& message) {
    if (error_.ok()) error_ = InvalidArgument(fmt::format("{}:{}: {}", source_, line_, message));
  }

  // The object at `key`, or nullptr when absent or null.
  const json* Object(const json* parent, const char* key, std::string_view path) {
    const json* v = Field(parent, key);
    if (v == nullptr) return nullptr;
    if (!v->is_object()) {
      Fail(fmt::format("field `{}` must be an object, not {}", path, TypeName(*v)));
      return nullptr;
    }
    return v;
  }

  Figure Number(const json* parent, const char* key, std::string_view path) {
    const json* v = Field(parent, key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number()) {
      Fail(fmt::format("field `{}` must be a number, not {}", path, TypeName(*v)));
      return std::nullopt;
    }
    double d = v->get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    return d;
  }

  std::optional<int64_t> Integer(const json* parent, const char* key, std::string_view path) {
    const json* v = Field(parent, key);
    if (v == nullptr) return std::nullopt;
    if (v->is_number_integer()) return v->get<int64_t>();
    if (v->is_number_float()) {
      double d = v->get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
    }
    Fail(fmt::format("field `{}` must be an integer, not {}", path, TypeName(*v)));
    return std::nullopt;
  }

  std::string String(const json* parent, const char* key, std::string_view path) {
    const json* v = Field(parent, key);
    if (v == nullptr) return {};
    if (!v->is_string()) {
      Fail(fmt::format("field `{}` must be a string, not {}", path, TypeName(*v)));
      return {};
    }
    return v->get<std::string>();
  }

 private:
  static const json* Field(const json* parent, const char* key) {
    if (parent == nullptr) return nullptr;
    auto it = parent->find(key);
    if (it == parent->end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::string_view source_;
  int line_;
  Status error_;
};

std::optional<double> Ratio(Figure num, Figure den) {
  if (!num || !den || *den <= 0) return std::nullopt;
  return *num / *den;
}

std::optional<double> Sum(Figure a, Figure b) {
  if (!a || !b) return std::nullopt;
  return *a + *b;
}

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

// client.entries or client.clients: an object of group objects keyed by name.
std::vector<GroupFigures> ParseGroups(LineReader& r, const json* client, const char* key) {
  std::vector<GroupFigures> out;
  const std::string path = fmt::format("client.{}", key);
  const json* groups = r.Object(client, key, path);
  if (groups == nullptr) return out;
  for (const auto& [name, v] : groups->items()) {
    const std::string at = path + "." + name;
    if (v.is_null()) continue;
    if (!v.is_object()) {
      r.Fail(fmt::format("field `{}` must be an object, not {}", at, TypeName(v)));
      break;
    }
    GroupFigures g;
    g.name = name;
    g.client = r.String(&v, "client", at + ".client");
    g.spec = r.String(&v, "spec", at + ".spec");
    g.goodput_rps = r.Number(&v, "goodput_rps", at + ".goodput_rps");
    if (const json* lat = r.Object(&v, "ok_latency_us", at + ".ok_latency_us")) {
      g.ok_p50_us = r.Number(lat, "p50", at + ".ok_latency_us.p50");
      g.ok_p99_us = r.Number(lat, "p99", at + ".ok_latency_us.p99");
    }
    g.rejected_503 = r.Number(&v, "rejected_503", at + ".rejected_503");
    g.expired_504 = r.Number(&v, "expired_504", at + ".expired_504");
    out.push_back(std::move(g));
  }
  return out;
}

// The fields of a pipeline record (`kind` "pipeline") beside the common ones.
PipelineRun ParsePipelineRun(LineReader& r, const json* root) {
  PipelineRun run;
  if (const json* c = r.Object(root, "config", "config")) {
    PipelineConfig& p = run.config;
    p.loader = r.String(c, "loader", "config.loader");
    p.workers = r.Integer(c, "workers", "config.workers");
    p.matrix_size = r.Integer(c, "matrix_size", "config.matrix_size");
    p.batch = r.Integer(c, "batch", "config.batch");
    p.prefetch = r.Integer(c, "prefetch", "config.prefetch");
    p.consumer_ms = r.Number(c, "consumer_ms", "config.consumer_ms");
    p.epochs = r.Integer(c, "epochs", "config.epochs");
    if (auto a = c->find("args"); a != c->end() && !a->is_null()) {
      if (!a->is_array()) {
        r.Fail(fmt::format("field `config.args` must be an array, not {}", TypeName(*a)));
      } else {
        for (const json& x : *a) {
          if (!x.is_string()) {
            r.Fail(fmt::format("field `config.args` must hold strings, not {}", TypeName(x)));
            break;
          }
          p.args.push_back(x.get<std::string>());
        }
      }
    }
  }
  if (const json* d = r.Object(root, "data", "data")) {
    PipelineDataSet data;
    data.files = r.Integer(d, "files", "data.files");
    data.bytes = r.Number(d, "bytes", "data.bytes");
    data.min_bytes = r.Number(d, "min_bytes", "data.min_bytes");
    data.max_bytes = r.Number(d, "max_bytes", "data.max_bytes");
    data.seed = r.Integer(d, "seed", "data.seed");
    run.data = data;
  }
  if (const json* p = r.Object(root, "pipeline", "pipeline")) {
    PipelineFigures& f = run.figures;
    f.items_per_s = r.Number(p, "items_per_s", "pipeline.items_per_s");
    f.mb_per_s = r.Number(p, "mb_per_s", "pipeline.mb_per_s");
    f.starvation = r.Number(p, "starvation", "pipeline.starvation");
    if (const json* w = r.Object(p, "batch_wait_ms", "pipeline.batch_wait_ms")) {
      f.batch_wait_p99_ms = r.Number(w, "p99", "pipeline.batch_wait_ms.p99");
    }
    if (const json* cpu = r.Object(p, "cpu", "pipeline.cpu")) {
      f.cpu_cores = r.Number(cpu, "utilisation", "pipeline.cpu.utilisation");
    }
    f.pss_bytes = r.Number(p, "pss_bytes", "pipeline.pss_bytes");
    f.skipped = r.Number(p, "skipped", "pipeline.skipped");
    f.errors = r.Number(p, "errors", "pipeline.errors");
    f.workers_replaced = r.Number(p, "workers_replaced", "pipeline.workers_replaced");
    if (const json* cache = r.Object(p, "cache", "pipeline.cache")) {
      f.cache_state = r.String(cache, "state", "pipeline.cache.state");
    }
  }
  return run;
}

// The fields of an adaptive record (`kind` "adaptive") beside the common ones.
AdaptiveRun ParseAdaptiveRun(LineReader& r, const json* root) {
  AdaptiveRun run;
  if (const json* c = r.Object(root, "config", "config")) {
    const std::string role = r.String(c, "role", "config.role");
    if (role == "controller") {
      run.is_static = false;
      run.name = r.String(c, "controller", "config.controller");
    } else if (role == "static" || role.empty()) {
      run.name = r.String(c, "candidate", "config.candidate");
    } else {
      r.Fail(fmt::format("field `config.role` must be \"static\" or \"controller\", not \"{}\"", role));
    }
    run.window_s = r.Number(c, "window_s", "config.window_s");
    if (auto a = c->find("candidates"); a != c->end() && a->is_array()) {
      for (const json& x : *a) {
        if (x.is_string()) run.candidates.push_back(x.get<std::string>());
      }
    }
  }
  auto array = [&](const char* key) -> const json* {
    auto it = root->find(key);
    if (it == root->end() || it->is_null()) return nullptr;
    if (!it->is_array()) {
      r.Fail(fmt::format("field `{}` must be an array, not {}", key, TypeName(*it)));
      return nullptr;
    }
    return &*it;
  };
  if (const json* phases = array("phases")) {
    for (size_t i = 0; i < phases->size(); ++i) {
      const json* p = &(*phases)[i];
      const std::string at = fmt::format("phases[{}]", i);
      if (!p->is_object()) {
        r.Fail(fmt::format("field `{}` must be an object, not {}", at, TypeName(*p)));
        break;
      }
      AdaptivePhase ph;
      ph.name = r.String(p, "name", at + ".name");
      ph.start_s = r.Number(p, "start_s", at + ".start_s").value_or(0);
      ph.duration_s = r.Number(p, "duration_s", at + ".duration_s").value_or(0);
      ph.reward = r.Number(p, "reward", at + ".reward");
      ph.phase_reward = r.Number(p, "phase_reward", at + ".phase_reward");
      ph.p99_ms = r.Number(p, "p99_ms", at + ".p99_ms");
      ph.ok_rps = r.Number(p, "ok_rps", at + ".ok_rps");
      ph.sent = r.Number(p, "sent", at + ".sent").value_or(0);
      ph.errors = r.Number(p, "errors", at + ".errors").value_or(0);
      ph.lost = r.Number(p, "lost", at + ".lost").value_or(0);
      run.phases.push_back(std::move(ph));
    }
  }
  if (const json* series = array("timeseries")) {
    for (const json& sec : *series) {
      if (!sec.is_object()) continue;
      AdaptiveSecond s;
      s.t_s = r.Number(&sec, "t_s", "timeseries[].t_s").value_or(0);
      s.phase = r.Integer(&sec, "phase", "timeseries[].phase");
      s.reward = r.Number(&sec, "reward", "timeseries[].reward").value_or(0);
      run.seconds.push_back(s);
    }
  }
  if (const json* decisions = array("decisions")) {
    for (const json& d : *decisions) {
      if (!d.is_object()) continue;
      AdaptiveDecision x;
      x.at_s = r.Number(&d, "at_s", "decisions[].at_s").value_or(0);
      x.serving = r.String(&d, "serving", "decisions[].serving");
      x.reason = r.String(&d, "reason", "decisions[].reason");
      if (auto sw = d.find("switched"); sw != d.end() && sw->is_boolean()) x.switched = sw->get<bool>();
      run.decisions.push_back(std::move(x));
    }
  }
  run.switches = r.Integer(root, "switches", "switches");
  return run;
}

Result<RunRecord> ParseRecord(const json& j, std::string_view source, int line) {
  LineReader r(source, line);
  if (!j.is_object()) {
    r.Fail(fmt::format("a record must be a JSON object, not {}", TypeName(j)));
    return r.error();
  }
  RunRecord rec;
  rec.line = line;
  const json* root = &j;

  auto schema = r.Integer(root, "schema", "schema");
  if (r.error().ok() && !schema) {
    r.Fail("missing field `schema` (is this a `switchyard study` results file?)");
  } else if (schema && *schema < 1) {
    r.Fail(fmt::format("unknown schema {}", *schema));
  }
  rec.study = r.String(root, "study", "study");
  rec.cell = r.String(root, "cell", "cell");
  if (r.error().ok() && rec.cell.empty()) {
    r.Fail("missing field `cell` (is this a `switchyard study` results file?)");
  }
  auto rep = r.Integer(root, "repetition", "repetition");
  if (r.error().ok() && !rep) r.Fail("missing field `repetition`");
  rec.repetition = rep.value_or(0);
  std::string status = r.String(root, "status", "status");
  if (r.error().ok()) {
    if (status == "ok") {
      rec.ok = true;
    } else if (status == "failed") {
      rec.ok = false;
    } else if (status.empty()) {
      r.Fail("missing field `status`");
    } else {
      r.Fail(fmt::format("field `status` must be \"ok\" or \"failed\", not \"{}\"", status));
    }
  }
  rec.error = r.String(root, "error", "error");
  rec.started_at = r.String(root, "started_at", "started_at");

  if (const json* m = r.Object(root, "machine", "machine")) {
    Machine machine;
    machine.cores = r.Integer(m, "cores", "machine.cores");
    machine.cpu = r.String(m, "cpu", "machine.cpu");
    machine.kernel = r.String(m, "kernel", "machine.kernel");
    machine.hostname = r.String(m, "hostname", "machine.hostname");
    machine.memory_gib = r.Number(m, "memory_gib", "machine.memory_gib");
    rec.machine = machine;
  }
  const std::string kind = r.String(root, "kind", "kind");
  if (kind == "pipeline") {
    rec.pipeline = ParsePipelineRun(r, root);
    if (r.error().ok() && rec.ok) {
      if (rec.pipeline->config.loader.empty()) r.Fail("an ok pipeline record needs `config.loader`");
      if (!root->contains("pipeline")) r.Fail("an ok pipeline record needs its `pipeline` figures");
    }
    if (!r.error().ok()) return r.error();
    return rec;
  }
  if (kind == "adaptive") {
    rec.adaptive = ParseAdaptiveRun(r, root);
    rec.adaptive->repetition = rec.repetition;
    if (r.error().ok() && rec.ok) {
      if (rec.adaptive->name.empty()) r.Fail("an ok adaptive record needs `config.candidate` or `config.controller`");
      if (rec.adaptive->phases.empty()) r.Fail("an ok adaptive record needs its `phases`");
    }
    if (!r.error().ok()) return r.error();
    return rec;
  }
  if (!kind.empty() && kind != "server") {
    r.Fail(fmt::format("field `kind` must be \"pipeline\", \"adaptive\" (or absent: a server cell), not \"{}\"",
                       kind));
  }
  if (const json* c = r.Object(root, "config", "config")) {
    rec.config.executor = r.String(c, "executor", "config.executor");
    rec.config.workers = r.Integer(c, "workers", "config.workers");
    rec.config.policy = r.String(c, "policy", "config.policy");
    rec.config.start = r.String(c, "start", "config.start");
    rec.config.ipc = r.String(c, "ipc", "config.ipc");
    rec.config.offload = r.Integer(c, "offload", "config.offload");
    rec.config.io_threads = r.Integer(c, "io_threads", "config.io_threads");
    rec.config.intra_op_threads = r.Integer(c, "intra_op_threads", "config.intra_op_threads");
  }
  if (const json* w = r.Object(root, "workload", "workload")) {
    rec.workload = r.String(w, "name", "workload.name");
    rec.mix = r.String(w, "mix", "workload.mix");
  }
  if (const json* l = r.Object(root, "load", "load")) {
    std::string mode = r.String(l, "mode", "load.mode");
    if (mode == "closed") {
      rec.load_mode = LoadMode::kClosed;
    } else if (mode == "open") {
      rec.load_mode = LoadMode::kOpen;
    } else if (!mode.empty()) {
      r.Fail(fmt::format("field `load.mode` must be \"closed\" or \"open\", not \"{}\"", mode));
    }
    Figure rate = r.Number(l, "rate", "load.rate");
    Figure conns = r.Number(l, "connections", "load.connections");
    if (!rec.load_mode) rec.load_mode = rate ? LoadMode::kOpen : LoadMode::kClosed;
    rec.load_x = r.Number(l, "x", "load.x");
    if (!rec.load_x) rec.load_x = *rec.load_mode == LoadMode::kOpen ? rate : conns;
  }
  Figure duration = r.Number(root, "duration_s", "duration_s");

  CellFigures& f = rec.figures;
  Figure client_requests;
  if (const json* c = r.Object(root, "client", "client")) {
    f.throughput_rps = r.Number(c, "throughput_rps", "client.throughput_rps");
    f.goodput_rps = r.Number(c, "goodput_rps", "client.goodput_rps");
    f.errors = r.Number(c, "errors", "client.errors");
    client_requests = r.Number(c, "requests", "client.requests");
    Figure ok = r.Number(c, "ok", "client.ok");
    Figure client_duration = r.Number(c, "duration_s", "client.duration_s");
    if (!client_duration) client_duration = duration;
    if (!f.throughput_rps) f.throughput_rps = Ratio(client_requests, client_duration);
    if (!f.goodput_rps) f.goodput_rps = Ratio(ok, client_duration);
    if (const json* lat = r.Object(c, "latency_us", "client.latency_us")) {
      f.p50_us = r.Number(lat, "p50", "client.latency_us.p50");
      f.p95_us = r.Number(lat, "p95", "client.latency_us.p95");
      f.p99_us = r.Number(lat, "p99", "client.latency_us.p99");
    }
    f.jain_index = r.Number(c, "jain_index", "client.jain_index");
    rec.entries = ParseGroups(r, c, "entries");
    rec.clients = ParseGroups(r, c, "clients");
    // The mix's order (JSON objects come back sorted by key).
    std::stable_sort(rec.entries.begin(), rec.entries.end(),
                     [&](const GroupFigures& a, const GroupFigures& b) {
                       return PositionInMix(rec.mix, a) < PositionInMix(rec.mix, b);
                     });
  }
  Figure cpu_s, ctxt;
  if (const json* s = r.Object(root, "server", "server")) {
    if (const json* lat = r.Object(s, "latency_us", "server.latency_us")) {
      if (const json* q = r.Object(lat, "queue", "server.latency_us.queue")) {
        f.queue_mean_us = r.Number(q, "mean", "server.latency_us.queue.mean");
        f.queue_p99_us = r.Number(q, "p99", "server.latency_us.queue.p99");
      }
    }
    if (const json* pt = r.Object(s, "process_tree", "server.process_tree")) {
      f.pss_bytes = r.Number(pt, "pss_bytes", "server.process_tree.pss_bytes");
      cpu_s = Sum(r.Number(pt, "cpu_user_s", "server.process_tree.cpu_user_s"),
                  r.Number(pt, "cpu_system_s", "server.process_tree.cpu_system_s"));
      ctxt = Sum(r.Number(pt, "voluntary_ctxt_switches", "server.process_tree.voluntary_ctxt_switches"),
                 r.Number(pt, "involuntary_ctxt_switches", "server.process_tree.involuntary_ctxt_switches"));
    }
  }
  if (const json* d = r.Object(root, "derived", "derived")) {
    f.cpu_s_per_request = r.Number(d, "cpu_s_per_request", "derived.cpu_s_per_request");
    f.ctxt_switches_per_request =
        r.Number(d, "ctxt_switches_per_request", "derived.ctxt_switches_per_request");
  }
  if (!f.cpu_s_per_request) f.cpu_s_per_request = Ratio(cpu_s, client_requests);
  if (!f.ctxt_switches_per_request) f.ctxt_switches_per_request = Ratio(ctxt, client_requests);

  if (r.error().ok() && rec.ok) {
    if (rec.workload.empty()) r.Fail("an ok record needs `workload.name`");
    if (!rec.load_x) r.Fail("an ok record needs its load point (`load.x`)");
  }
  if (!r.error().ok()) return r.error();
  return rec;
}

// nlohmann's message without its own "[json.exception...] parse error at
// line 1, column N:" prefix (every line is parsed on its own, so its line
// number is always 1), with the column kept.
std::string JsonErrorDetail(const json::exception& e) {
  std::string what = e.what();
  size_t col = what.find("column ");
  size_t colon = col == std::string::npos ? std::string::npos : what.find(": ", col);
  if (colon == std::string::npos) return what;
  return what.substr(col, colon - col) + ": " + what.substr(colon + 2);
}

bool SameMachine(const Machine& a, const Machine& b) {
  return a.cores == b.cores && a.cpu == b.cpu && a.kernel == b.kernel && a.hostname == b.hostname;
}

// Labels every distinct configuration: executor and workers, plus what tells
// configurations of the same executor apart (ipc always for processes; start,
// policy, offload, io threads when they vary).
class Labeler {
 public:
  explicit Labeler(const std::vector<RunRecord>& records) {
    for (const auto& r : records) {
      const ServerConfig& c = r.config;
      if (c.executor.empty() || std::find(configs_.begin(), configs_.end(), c) != configs_.end()) continue;
      configs_.push_back(c);
      policies_.insert(c.policy);
      starts_[c.executor].insert(c.start);
      io_threads_[c.executor].insert(c.io_threads.value_or(-1));
      intra_op_threads_.insert(c.intra_op_threads.value_or(-1));
    }
    for (const auto& c : configs_) ++labels_[Base(c)];
  }

  std::string Label(const ServerConfig& c) const {
    std::string base = Base(c);
    // Two different configurations with one label: spell everything out.
    auto it = labels_.find(base);
    if (it != labels_.end() && it->second > 1) return Full(c);
    return base;
  }

 private:
  static std::string Head(const ServerConfig& c) {
    std::string s = c.executor.empty() ? "?" : c.executor;
    if (c.workers) s += fmt::format(" w{}", *c.workers);
    return s;
  }

  std::string Base(const ServerConfig& c) const {
    std::string s = Head(c);
    if (c.executor == "processes") {
      if (!c.ipc.empty()) s += " " + c.ipc;
      if (Varies(starts_, c.executor) && !c.start.empty()) s += " " + c.start;
    }
    if (c.offload.value_or(0) > 0) s += fmt::format(" offload{}", *c.offload);
    if (Varies(io_threads_, c.executor) && c.io_threads) s += fmt::format(" io{}", *c.io_threads);
    if (intra_op_threads_.size() > 1 && c.intra_op_threads) s += fmt::format(" intra{}", *c.intra_op_threads);
    if (policies_.size() > 1 && !c.policy.empty()) s += " " + c.policy;
    return s;
  }

  static std::string Full(const ServerConfig& c) {
    std::string s = Head(c);
    if (!c.policy.empty()) s += " " + c.policy;
    if (!c.start.empty()) s += " " + c.start;
    if (!c.ipc.empty()) s += " " + c.ipc;
    if (c.offload) s += fmt::format(" offload{}", *c.offload);
    if (c.io_threads) s += fmt::format(" io{}", *c.io_threads);
    if (c.intra_op_threads) s += fmt::format(" intra{}", *c.intra_op_threads);
    return s;
  }

  template <typename Set>
  static bool Varies(const std::map<std::string, Set>& m, const std::string& executor) {
    auto it = m.find(executor);
    return it != m.end() && it->second.size() > 1;
  }

  std::set<std::string> policies_;
  std::set<int64_t> intra_op_threads_;
  std::map<std::string, std::set<std::string>> starts_;
  std::map<std::string, std::set<int64_t>> io_threads_;
  std::vector<ServerConfig> configs_;  // distinct
  std::map<std::string, int> labels_;  // base label -> configurations that have it
};

CellFigures Medians(const std::vector<const RunRecord*>& runs) {
  auto med = [&](Figure CellFigures::*field) {
    std::vector<double> v;
    for (const RunRecord* r : runs) {
      if (const Figure& x = r->figures.*field) v.push_back(*x);
    }
    return MedianOf(std::move(v));
  };
  CellFigures m;
  m.throughput_rps = med(&CellFigures::throughput_rps);
  m.goodput_rps = med(&CellFigures::goodput_rps);
  m.p50_us = med(&CellFigures::p50_us);
  m.p95_us = med(&CellFigures::p95_us);
  m.p99_us = med(&CellFigures::p99_us);
  m.errors = med(&CellFigures::errors);
  m.cpu_s_per_request = med(&CellFigures::cpu_s_per_request);
  m.ctxt_switches_per_request = med(&CellFigures::ctxt_switches_per_request);
  m.pss_bytes = med(&CellFigures::pss_bytes);
  m.queue_mean_us = med(&CellFigures::queue_mean_us);
  m.queue_p99_us = med(&CellFigures::queue_p99_us);
  m.jain_index = med(&CellFigures::jain_index);
  return m;
}

// Per name, the medians over the runs that report it; names in the last
// run's order, then those only earlier runs had.
std::vector<GroupFigures> GroupMedians(const std::vector<const RunRecord*>& runs,
                                       std::vector<GroupFigures> RunRecord::*groups) {
  std::vector<GroupFigures> out;
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    for (const GroupFigures& g : (*it)->*groups) {
      auto same = [&](const GroupFigures& x) { return x.name == g.name; };
      if (std::find_if(out.begin(), out.end(), same) != out.end()) continue;
      GroupFigures m;
      m.name = g.name;
      m.client = g.client;
      m.spec = g.spec;
      auto med = [&](Figure GroupFigures::*field) {
        std::vector<double> v;
        for (const RunRecord* r : runs) {
          for (const GroupFigures& x : r->*groups) {
            if (x.name == g.name && x.*field) v.push_back(*(x.*field));
          }
        }
        return MedianOf(std::move(v));
      };
      m.goodput_rps = med(&GroupFigures::goodput_rps);
      m.ok_p50_us = med(&GroupFigures::ok_p50_us);
      m.ok_p99_us = med(&GroupFigures::ok_p99_us);
      m.rejected_503 = med(&GroupFigures::rejected_503);
      m.expired_504 = med(&GroupFigures::expired_504);
      out.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace

int Cell::NamedClients() const {
  return static_cast<int>(
      std::count_if(clients.begin(), clients.end(), [](const GroupFigures& g) { return !g.name.empty(); }));
}

const Cell* Workload::Find(std::string_view series_label, double x) const {
  for (const auto& c : cells) {
    if (c.series == series_label && c.x == x) return &c;
  }
  return nullptr;
}

Figure MedianOf(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  if (n % 2 == 1) return values[n / 2];
  return (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string_view LoadUnit(LoadMode mode) { return mode == LoadMode::kClosed ? "connections" : "req/s"; }

std::string FormatLoadValue(double x) {
  if (x == std::floor(x) && std::fabs(x) < 1e15) return fmt::format("{}", static_cast<int64_t>(x));
  return fmt::format("{:.4g}", x);
}

std::string FormatLoadPoint(double x, LoadMode mode) {
  std::string num = FormatLoadValue(x);
  if (mode == LoadMode::kClosed) return num + (x == 1 ? " connection" : " connections");
  return num + " req/s";
}

Result<std::vector<RunRecord>> ParseRecords(std::istream& in, std::string_view source,
                                            std::vector<std::string>* warnings) {
  std::vector<RunRecord> records;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      if (in.eof()) {  // the last line, and it has no '\n': an interrupted append
        if (warnings != nullptr) {
          warnings->push_back(fmt::format(
              "{}:{}: skipped an unfinished last line (no newline, not valid JSON)", source, number));
        }
        break;
      }
      return InvalidArgument(fmt::format("{}:{}: not valid JSON: {}", source, number, JsonErrorDetail(e)));
    }
    auto rec = ParseRecord(j, source, number);
    if (!rec.ok()) return rec.status();
    records.push_back(std::move(*rec));
  }
  if (in.bad()) return Internal(fmt::format("{}: read error", source));
  if (records.empty()) {
    return InvalidArgument(
        fmt::format("{}: no results: the file is empty (a `switchyard study` writes one "
                    "JSON object per line)",
                    source));
  }
  return records;
}

Study Aggregate(const std::vector<RunRecord>& records) {
  Study study;
  study.records = static_cast<int>(records.size());
  Labeler labeler(records);

  // Study name(s), dates, machine.
  std::vector<std::string> names;
  for (const auto& r : records) {
    if (!r.study.empty() && std::find(names.begin(), names.end(), r.study) == names.end()) {
      names.push_back(r.study);
    }
    if (!r.started_at.empty()) {
      if (study.first_started_at.empty() || r.started_at < study.first_started_at) {
        study.first_started_at = r.started_at;
      }
      if (r.started_at > study.last_started_at) study.last_started_at = r.started_at;
    }
    if (r.machine) {
      if (!study.machine) {
        study.machine = r.machine;
      } else if (!SameMachine(*study.machine, *r.machine)) {
        study.several_machines = true;
      }
    }
  }
  for (size_t i = 0; i < names.size(); ++i) study.name += (i ? ", " : "") + names[i];

  // The last ok record of each (cell, repetition).
  std::map<std::pair<std::string, int64_t>, const RunRecord*> ok_runs;
  for (const auto& r : records) {
    if (r.ok) ok_runs[{r.cell, r.repetition}] = &r;
    ++(r.pipeline ? study.pipeline_records : r.adaptive ? study.adaptive_records : study.server_records);
  }
  for (const auto& r : records) {
    if (r.ok) continue;
    if (ok_runs.count({r.cell, r.repetition})) {
      ++study.superseded_failures;
      continue;
    }
    FailedRun f;
    f.line = r.line;
    f.cell = r.cell;
    f.repetition = r.repetition;
    f.error = r.error.empty() ? "(no reason given)" : r.error;
    f.workload = r.workload;
    if (!r.config.executor.empty()) f.series = labeler.Label(r.config);
    f.config = r.config;
    f.mix = r.mix;
    f.load_mode = r.load_mode;
    f.load_x = r.load_x;
    if (r.pipeline) {
      f.pipeline = r.pipeline->config;
      f.workload = "pipeline";
      if (!r.pipeline->config.loader.empty()) f.series = r.pipeline->config.Label();
      if (r.pipeline->config.matrix_size) f.series += fmt::format(", matrix {}", *r.pipeline->config.matrix_size);
    }
    if (r.adaptive) {
      f.adaptive = true;
      f.workload = "adaptive";
      f.series = (r.adaptive->is_static ? "static " : "controller ") + r.adaptive->name;
    }
    study.failed.push_back(std::move(f));
  }
  study.ok_records = static_cast<int>(ok_runs.size());

  // Cells, in order of first appearance; their runs.
  std::vector<std::string> cell_order;
  std::map<std::string, std::vector<const RunRecord*>> runs_of;
  std::vector<std::string> pipeline_order;
  std::map<std::string, std::vector<const RunRecord*>> pipeline_runs_of;
  for (const auto& r : records) {
    if (r.pipeline && r.pipeline->data) {
      if (!study.pipeline_data) {
        study.pipeline_data = r.pipeline->data;
      } else if (*study.pipeline_data != *r.pipeline->data) {
        study.several_data_sets = true;
      }
    }
    if (!r.ok || ok_runs[{r.cell, r.repetition}] != &r) continue;
    if (r.adaptive) {
      study.adaptive_runs.push_back(*r.adaptive);
      continue;
    }
    auto& order = r.pipeline ? pipeline_order : cell_order;
    auto& v = (r.pipeline ? pipeline_runs_of : runs_of)[r.cell];
    if (v.empty()) order.push_back(r.cell);
    v.push_back(&r);
  }

  // Pipeline cells: medians of their repetitions, then their groups.
  std::vector<PipelineCell> pipeline_cells;
  for (const auto& id : pipeline_order) {
    const auto& runs = pipeline_runs_of[id];
    PipelineCell c;
    c.id = id;
    c.config = runs.back()->pipeline->config;
    c.repetitions = static_cast<int>(runs.size());
    std::vector<const PipelineFigures*> figures;
    for (const RunRecord* r : runs) figures.push_back(&r->pipeline->figures);
    c.median = PipelineMedians(figures);
    pipeline_cells.push_back(std::move(c));
  }
  study.pipeline_groups = GroupPipelineCells(pipeline_cells);

  // Workloads keyed by (name, mode); a name with both modes gets it spelled out.
  std::map<std::string, std::set<LoadMode>> modes_of;
  for (const auto& id : cell_order) {
    const RunRecord* last = runs_of[id].back();
    modes_of[last->workload].insert(last->load_mode.value_or(LoadMode::kClosed));
  }
  std::vector<std::string> executor_order;
  for (const auto& r : records) {
    if (std::find(executor_order.begin(), executor_order.end(), r.config.executor) == executor_order.end()) {
      executor_order.push_back(r.config.executor);
    }
  }
  std::map<std::pair<std::string, LoadMode>, size_t> workload_index;
  for (const auto& id : cell_order) {
    const auto& runs = runs_of[id];
    const RunRecord* last = runs.back();
    LoadMode mode = last->load_mode.value_or(LoadMode::kClosed);
    auto key = std::make_pair(last->workload, mode);
    auto [it, fresh] = workload_index.try_emplace(key, study.workloads.size());
    if (fresh) {
      Workload w;
      w.name = last->workload;
      if (modes_of[last->workload].size() > 1) {
        w.name += mode == LoadMode::kClosed ? " (closed loop)" : " (open loop)";
      }
      w.mode = mode;
      study.workloads.push_back(std::move(w));
    }
    Workload& w = study.workloads[it->second];
    Cell c;
    c.id = id;
    c.config = last->config;
    c.series = last->config.executor.empty() ? id : labeler.Label(last->config);
    c.mix = last->mix;
    c.mode = mode;
    c.x = *last->load_x;
    c.repetitions = static_cast<int>(runs.size());
    c.median = Medians(runs);
    c.entries = GroupMedians(runs, &RunRecord::entries);
    c.clients = GroupMedians(runs, &RunRecord::clients);
    w.cells.push_back(std::move(c));
  }

  for (auto& w : study.workloads) {
    // Two cells with one label at one load point (they differ in something
    // the label does not show): name them by cell id.
    std::map<std::pair<std::string, double>, int> seen;
    for (const auto& c : w.cells) ++seen[{c.series, c.x}];
    for (auto& c : w.cells) {
      if (seen[{c.series, c.x}] > 1) c.series += " [" + c.id + "]";
    }
    // Series order: executor as first met in the file, then workers, then as
    // first met (the study's matrix order).
    std::vector<const Cell*> firsts;
    for (const auto& c : w.cells) {
      if (std::find(w.series.begin(), w.series.end(), c.series) == w.series.end()) {
        w.series.push_back(c.series);
        firsts.push_back(&c);
      }
    }
    auto rank = [&](const Cell* c) {
      auto pos = std::find(executor_order.begin(), executor_order.end(), c->config.executor) -
                 executor_order.begin();
      return std::make_tuple(pos, c->config.workers.value_or(0));
    };
    std::stable_sort(firsts.begin(), firsts.end(),
                     [&](const Cell* a, const Cell* b) { return rank(a) < rank(b); });
    w.series.clear();
    for (const Cell* c : firsts) w.series.push_back(c->series);

    for (const auto& c : w.cells) w.load_points.push_back(c.x);
    std::sort(w.load_points.begin(), w.load_points.end());
    w.load_points.erase(std::unique(w.load_points.begin(), w.load_points.end()), w.load_points.end());

    auto series_pos = [&](const std::string& s) {
      return std::find(w.series.begin(), w.series.end(), s) - w.series.begin();
    };
    std::stable_sort(w.cells.begin(), w.cells.end(), [&](const Cell& a, const Cell& b) {
      if (a.x != b.x) return a.x < b.x;
      return series_pos(a.series) < series_pos(b.series);
    });
  }
  return study;
}

Result<Study> LoadStudy(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound(fmt::format("{}: cannot open the results file", path));
  std::vector<std::string> warnings;
  auto records = ParseRecords(in, path, &warnings);
  if (!records.ok()) return records.status();
  Study study = Aggregate(*records);
  study.warnings = std::move(warnings);
  return study;
}

}  // namespace switchyard::report
