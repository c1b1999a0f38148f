#include "study/study_spec.h"

#include <cmath>
#include <sstream>

#include "config/toml_reader.h"
#include "core/duration.h"
#include "executor/config_toml.h"

namespace switchyard {
namespace {

std::string PointLabel(const StudyWorkload& w, double point) {
  std::ostringstream s;
  s << (w.open_loop ? "r" : "c") << point;
  return s.str();
}

// The study's kind, chosen here once by the table it has; the file's
// top-level keys checked against the known ones first.
Result<StudyKind> KindOf(const TomlTable& root) {
  Status known = root.CheckKeys({"name", "description", "duration", "warmup", "repetitions", "db_rows",
                                 "server", "workload", "data", "pipeline", "adaptive"});
  if (!known.ok()) return known;
  const bool pipeline = root.Has("pipeline");
  const bool adaptive = root.Has("adaptive");
  if (pipeline && adaptive) {
    return root.Error("adaptive", "a study has a [pipeline] or an [adaptive] table, not both");
  }
  return adaptive ? StudyKind::kAdaptive : pipeline ? StudyKind::kPipeline : StudyKind::kServer;
}

// The top-level keys and tables that mean nothing for the study's kind.
Status CheckKeysApplyTo(StudyKind kind, const TomlTable& root) {
  if (kind == StudyKind::kAdaptive) {
    for (const char* key : {"duration", "server", "workload", "data"}) {
      if (root.Has(key)) {
        return root.Error(key,
                          "does not apply to an adaptive study (one with an [adaptive] table): its "
                          "phases file says what to send and for how long");
      }
    }
  }
  if (kind == StudyKind::kPipeline) {
    for (const char* key : {"duration", "warmup", "db_rows", "server", "workload"}) {
      if (root.Has(key)) {
        return root.Error(key,
                          "does not apply to a pipeline study (one with a [pipeline] table): each run "
                          "lasts its epochs");
      }
    }
  } else if (root.Has("data")) {
    return root.Error("data", "applies only to a pipeline study (one with a [pipeline] table)");
  }
  return Status::Ok();
}

// The spec's top-level keys, those every kind of study shares: its name,
// durations, repetitions and database size.
Result<StudySpec> SpecOfTopLevelKeys(const TomlTable& root) {
  StudySpec spec;
  spec.file = root.file();
  auto name = root.String("name");
  if (!name.ok()) return name.status();
  spec.name = *name;
  if (spec.name.empty() || spec.name.find_first_of("/\\ \n") != std::string::npos) {
    return root.Error("name", "must be a non-empty word (it names the results)");
  }
  if (auto d = root.OptString("description"); !d.ok()) return d.status();
  auto duration = root.OptDurationUs("duration");
  if (!duration.ok()) return duration.status();
  spec.duration_us = duration->value_or(spec.duration_us);
  if (root.Has("warmup")) {
    auto w = root.OptString("warmup");
    if (!w.ok()) return w.status();
    auto us = ParseDurationUs(**w);
    if (!us.ok()) return root.Error("warmup", us.status().message());
    spec.warmup_us = *us;
  }
  auto reps = root.OptInt("repetitions", 1, 1000);
  if (!reps.ok()) return reps.status();
  spec.repetitions = static_cast<int>(reps->value_or(1));
  auto rows = root.OptInt("db_rows", 1, 100'000'000);
  if (!rows.ok()) return rows.status();
  spec.db_rows = rows->value_or(spec.db_rows);
  return spec;
}

// The [server] table's lists, read and checked, absent ones at their
// defaults.
struct ServerLists {
  std::vector<std::string> executors, policies, starts, ipcs;
  std::vector<int64_t> workers, offloads;
  std::vector<int64_t> intra_op_threads;  // {0}: not given
  std::string models;                     // empty: none
  std::vector<std::string> args;
};

// One knob's list in the [server] table: the knob table's study dialect
// (executor/config_keys.h), `fallback` when absent.
Result<std::vector<ConfigValue>> KnobList(const TomlTable& st, std::string_view knob,
                                          std::vector<ConfigValue> fallback) {
  const ConfigKey& key = ConfigKeyNamed(knob);
  auto values = ReadConfigList(st, key, key.study_name);
  if (!values.ok()) return values.status();
  return values->value_or(std::move(fallback));
}

Result<std::vector<std::string>> TextKnobList(const TomlTable& st, std::string_view knob,
                                              std::vector<ConfigValue> fallback) {
  auto values = KnobList(st, knob, std::move(fallback));
  if (!values.ok()) return values.status();
  std::vector<std::string> out;
  for (const ConfigValue& v : *values) out.push_back(std::get<std::string>(v));
  return out;
}

Result<std::vector<int64_t>> IntKnobList(const TomlTable& st, std::string_view knob,
                                         std::vector<ConfigValue> fallback) {
  auto values = KnobList(st, knob, std::move(fallback));
  if (!values.ok()) return values.status();
  std::vector<int64_t> out;
  for (const ConfigValue& v : *values) out.push_back(std::get<int64_t>(v));
  return out;
}

// `args` may not set a flag the study sets for each cell's server itself.
Status CheckArgsLeaveStudyFlags(const TomlTable& st, const std::vector<std::string>& args) {
  std::vector<std::string> owned = {"--port", "--db", "--admin-token-file", "--models", "--intra-op-threads"};
  for (const ConfigKey& key : ConfigKeys()) {
    if (key.In(kStudyDialect)) owned.emplace_back(key.flag);
  }
  for (const std::string& a : args) {
    for (const std::string& flag : owned) {
      if (a == flag || a.rfind(flag + "=", 0) == 0)
        return st.Error("args", flag + " is set by the study itself");
    }
  }
  return Status::Ok();
}

Result<ServerLists> ServerListsOf(const TomlTable& st) {
  Status known = st.CheckKeys(
      {"executors", "workers", "policies", "start", "ipc", "offload", "models", "intra_op_threads", "args"});
  if (!known.ok()) return known;
  ServerLists lists;
  auto executors = TextKnobList(st, "executor", {"threads", "processes", "async"});
  if (!executors.ok()) return executors.status();
  lists.executors = std::move(*executors);
  auto workers = IntKnobList(st, "workers", {int64_t{2}});
  if (!workers.ok()) return workers.status();
  lists.workers = std::move(*workers);
  auto policies = TextKnobList(st, "policy", {"fifo"});
  if (!policies.ok()) return policies.status();
  lists.policies = std::move(*policies);
  auto starts = TextKnobList(st, "start", {"forkserver"});
  if (!starts.ok()) return starts.status();
  lists.starts = std::move(*starts);
  auto ipcs = TextKnobList(st, "ipc", {"shm"});
  if (!ipcs.ok()) return ipcs.status();
  lists.ipcs = std::move(*ipcs);
  auto offloads = IntKnobList(st, "offload", {int64_t{0}});
  if (!offloads.ok()) return offloads.status();
  lists.offloads = std::move(*offloads);

  auto models = st.OptString("models");
  if (!models.ok()) return models.status();
  auto intras = st.OptIntList("intra_op_threads", 1, 1024);
  if (!intras.ok()) return intras.status();
  if (*intras && !*models) return st.Error("intra_op_threads", "applies only with models = \"DIR\"");
  auto args = st.OptStringList("args", /*allow_empty=*/true);
  if (!args.ok()) return args.status();
  lists.models = models->value_or("");
  lists.intra_op_threads = intras->value_or(std::vector<int64_t>{0});
  lists.args = args->value_or(std::vector<std::string>{});
  if (Status s = CheckArgsLeaveStudyFlags(st, lists.args); !s.ok()) return s;
  return lists;
}

// `base` times the lists of the knobs that mean something for its executor.
std::vector<ServerConfig> VariantsOf(const ServerConfig& base, const ServerLists& lists) {
  const ExecutorKind executor_kind = ParseExecutorKind(base.executor).value();
  std::vector<ServerConfig> variants = {base};
  auto cross = [&variants](const auto& values, auto set) {
    std::vector<ServerConfig> crossed;
    for (const ServerConfig& v : variants) {
      for (const auto& value : values) {
        ServerConfig c = v;
        set(c, value);
        crossed.push_back(std::move(c));
      }
    }
    variants = std::move(crossed);
  };
  if (ConfigKeyNamed("start").AppliesTo(executor_kind)) {
    cross(lists.starts, [](ServerConfig& c, const std::string& v) { c.start = v; });
  }
  if (ConfigKeyNamed("ipc").AppliesTo(executor_kind)) {
    cross(lists.ipcs, [](ServerConfig& c, const std::string& v) { c.ipc = v; });
  }
  if (ConfigKeyNamed("offload").AppliesTo(executor_kind)) {
    cross(lists.offloads, [](ServerConfig& c, int64_t v) { c.offload = static_cast<int>(v); });
  }
  return variants;
}

// Every configuration of the matrix, executor outermost, then intra-op
// threads, workers, policy and the executor's own knobs.
std::vector<ServerConfig> ExpandServerMatrix(const ServerLists& lists) {
  std::vector<ServerConfig> servers;
  for (const std::string& e : lists.executors) {
    for (int64_t intra : lists.intra_op_threads) {
      for (int64_t w : lists.workers) {
        for (const std::string& p : lists.policies) {
          ServerConfig base;
          base.executor = e;
          base.workers = static_cast<int>(w);
          base.policy = p;
          base.intra_op_threads = static_cast<int>(intra);
          base.args = lists.args;
          base.models = lists.models;
          const std::vector<ServerConfig> variants = VariantsOf(base, lists);
          servers.insert(servers.end(), variants.begin(), variants.end());
        }
      }
    }
  }
  return servers;
}

// [server]: the configuration matrix.
Result<std::vector<ServerConfig>> ServerMatrixOf(const TomlTable& root) {
  auto server_table = root.Table("server");
  if (!server_table.ok()) return server_table.status();
  if (!*server_table)
    return root.Error("server",
                      "missing: the [server] table says which configurations to compare "
                      "(a pipeline study has a [pipeline] table instead)");
  auto lists = ServerListsOf(**server_table);
  if (!lists.ok()) return lists.status();
  return ExpandServerMatrix(*lists);
}

Result<RequestMix> MixOf(const TomlTable& t) {
  auto mix = t.String("mix");
  if (!mix.ok()) return mix.status();
  auto parsed = RequestMix::Parse(*mix);
  if (!parsed.ok()) return t.Error("mix", parsed.status().message());
  return parsed;
}

// A workload's load points: connections (closed loop) or rates (open loop).
struct LoadPoints {
  bool open_loop = false;
  std::vector<double> points;
};

Result<LoadPoints> LoadPointsOf(const TomlTable& t) {
  auto connections = t.OptIntList("connections", 1, 10000);
  if (!connections.ok()) return connections.status();
  auto rates = t.OptNumberList("rate", /*positive=*/true);
  if (!rates.ok()) return rates.status();
  if (*connections && *rates)
    return t.Error("rate", "give connections (closed loop) or rate (open loop), not both");
  if (!*connections && !*rates)
    return t.Error("connections", "missing: give connections or rate load points");
  LoadPoints load;
  if (*rates) {
    load.open_loop = true;
    load.points = **rates;
  } else {
    for (int64_t c : **connections) load.points.push_back(static_cast<double>(c));
  }
  return load;
}

// `arrivals`, which only open-loop load points have; `fallback` when absent.
Result<Arrivals> ArrivalsOf(const TomlTable& t, bool open_loop, Arrivals fallback) {
  auto arrivals = t.OptString("arrivals");
  if (!arrivals.ok()) return arrivals.status();
  if (!*arrivals) return fallback;
  if (!open_loop) return t.Error("arrivals", "only open-loop load points (rate) have arrivals");
  auto a = ParseArrivals(**arrivals);
  if (!a.ok()) return t.Error("arrivals", a.status().message());
  return *a;
}

// One [[workload]] table; `earlier` are the tables before it (a name names
// one workload).
Result<StudyWorkload> WorkloadOf(const TomlTable& t, const std::vector<StudyWorkload>& earlier) {
  Status known = t.CheckKeys({"name", "mix", "connections", "rate", "arrivals"});
  if (!known.ok()) return known;
  StudyWorkload w;
  auto name = t.String("name");
  if (!name.ok()) return name.status();
  w.name = *name;
  for (const StudyWorkload& other : earlier) {
    if (other.name == w.name) return t.Error("name", "'" + w.name + "' names two workloads");
  }
  auto mix = MixOf(t);
  if (!mix.ok()) return mix.status();
  w.mix = mix->ToString();
  for (const MixEntry& e : mix->entries()) w.uses_db = w.uses_db || e.kind == RequestKind::kIo;
  auto load = LoadPointsOf(t);
  if (!load.ok()) return load.status();
  w.open_loop = load->open_loop;
  w.points = std::move(load->points);
  auto arrivals = ArrivalsOf(t, w.open_loop, w.arrivals);
  if (!arrivals.ok()) return arrivals.status();
  w.arrivals = *arrivals;
  return w;
}

// [[workload]]: what to send, at which load points.
Result<std::vector<StudyWorkload>> WorkloadsOf(const TomlTable& root) {
  auto tables = root.Tables("workload");
  if (!tables.ok()) return tables.status();
  if (tables->empty()) return root.Error("workload", "missing: give at least one [[workload]] table");
  std::vector<StudyWorkload> workloads;
  for (const TomlTable& t : *tables) {
    auto w = WorkloadOf(t, workloads);
    if (!w.ok()) return w.status();
    workloads.push_back(std::move(*w));
  }
  return workloads;
}

Result<StudySpec> SpecOf(const TomlDocument& doc) {
  TomlTable root = doc.root();
  auto kind = KindOf(root);
  if (!kind.ok()) return kind.status();
  if (Status s = CheckKeysApplyTo(*kind, root); !s.ok()) return s;
  auto spec = SpecOfTopLevelKeys(root);
  if (!spec.ok()) return spec;
  switch (*kind) {
    case StudyKind::kAdaptive: {
      auto matrix = ParseAdaptiveMatrix(root, spec->file);
      if (!matrix.ok()) return matrix.status();
      spec->matrix = std::move(*matrix);
      return spec;
    }
    case StudyKind::kPipeline: {
      auto matrix = ParsePipelineMatrix(root);
      if (!matrix.ok()) return matrix.status();
      spec->matrix = std::move(*matrix);
      return spec;
    }
    case StudyKind::kServer:
      break;
  }
  auto servers = ServerMatrixOf(root);
  if (!servers.ok()) return servers.status();
  spec->servers = std::move(*servers);
  auto workloads = WorkloadsOf(root);
  if (!workloads.ok()) return workloads.status();
  spec->workloads = std::move(*workloads);
  return spec;
}

}  // namespace

std::vector<std::string> ServerConfig::ServeArgs() const {
  std::vector<std::string> a;
  auto add = [&a](std::string_view key, ConfigValue value) {
    std::vector<std::string> flag = ConfigFlagArgs(ConfigKeyNamed(key), value);
    a.insert(a.end(), flag.begin(), flag.end());
  };
  add("executor", executor);
  add("workers", int64_t{workers});
  add("policy", policy);
  if (!start.empty()) add("start", start);
  if (!ipc.empty()) add("ipc", ipc);
  if (offload >= 0) add("offload", int64_t{offload});
  if (!models.empty()) a.insert(a.end(), {"--models", models});
  if (intra_op_threads > 0) a.insert(a.end(), {"--intra-op-threads", std::to_string(intra_op_threads)});
  a.insert(a.end(), args.begin(), args.end());
  return a;
}

std::vector<StudyCell> StudySpec::Cells() const {
  std::vector<StudyCell> cells;
  for (const ServerConfig& s : servers) {
    std::string sid = s.executor + ".w" + std::to_string(s.workers) + "." + s.policy;
    if (!s.start.empty()) sid += "." + s.start + "." + s.ipc;
    if (s.offload > 0) sid += ".off" + std::to_string(s.offload);
    if (s.intra_op_threads > 0) sid += ".intra" + std::to_string(s.intra_op_threads);
    for (const std::string& a : s.args) sid += "." + a;
    for (const StudyWorkload& w : workloads) {
      for (double p : w.points) cells.push_back({sid + "." + w.name + "." + PointLabel(w, p), s, &w, p});
    }
  }
  return cells;
}

bool StudySpec::UsesDb() const {
  if (kind() == StudyKind::kAdaptive) return adaptive().UsesDb();
  for (const StudyWorkload& w : workloads) {
    if (w.uses_db) return true;
  }
  return false;
}

Result<StudySpec> ParseStudy(std::string_view toml_text, const std::string& name) {
  auto doc = TomlDocument::Parse(toml_text, name);
  if (!doc.ok()) return doc.status();
  return SpecOf(**doc);
}

Result<StudySpec> LoadStudyFile(const std::string& path) {
  auto doc = TomlDocument::Load(path);
  if (!doc.ok()) return doc.status();
  return SpecOf(**doc);
}

}  // namespace switchyard
