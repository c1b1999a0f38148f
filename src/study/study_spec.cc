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

Result<StudySpec> SpecOf(const TomlDocument& doc) {
  TomlTable root = doc.root();
  Status known = root.CheckKeys({"name", "description", "duration", "warmup", "repetitions", "db_rows",
                                 "server", "workload", "data", "pipeline", "adaptive"});
  if (!known.ok()) return known;
  const bool pipeline = root.Has("pipeline");
  const bool adaptive = root.Has("adaptive");
  if (pipeline && adaptive) {
    return root.Error("adaptive", "a study has a [pipeline] or an [adaptive] table, not both");
  }
  // The study's kind, chosen here once.
  const StudyKind kind = adaptive ? StudyKind::kAdaptive : pipeline ? StudyKind::kPipeline : StudyKind::kServer;
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

  switch (kind) {
    case StudyKind::kAdaptive: {
      auto matrix = ParseAdaptiveMatrix(root, spec.file);
      if (!matrix.ok()) return matrix.status();
      spec.matrix = std::move(*matrix);
      return spec;
    }
    case StudyKind::kPipeline: {
      auto matrix = ParsePipelineMatrix(root);
      if (!matrix.ok()) return matrix.status();
      spec.matrix = std::move(*matrix);
      return spec;
    }
    case StudyKind::kServer:
      break;
  }

  // [server]: the configuration matrix.
  auto server_table = root.Table("server");
  if (!server_table.ok()) return server_table.status();
  if (!*server_table)
    return root.Error("server",
                      "missing: the [server] table says which configurations to compare "
                      "(a pipeline study has a [pipeline] table instead)");
  const TomlTable& st = **server_table;
  Status server_known = st.CheckKeys(
      {"executors", "workers", "policies", "start", "ipc", "offload", "models", "intra_op_threads", "args"});
  if (!server_known.ok()) return server_known;
  // The matrix's knobs: the knob table's study dialect (executor/config_keys.h).
  auto list = [&](std::string_view knob,
                  std::vector<ConfigValue> fallback) -> Result<std::vector<ConfigValue>> {
    const ConfigKey& key = ConfigKeyNamed(knob);
    auto values = ReadConfigList(st, key, key.study_name);
    if (!values.ok()) return values.status();
    return values->value_or(std::move(fallback));
  };
  auto texts = [](const std::vector<ConfigValue>& values) {
    std::vector<std::string> out;
    for (const ConfigValue& v : values) out.push_back(std::get<std::string>(v));
    return out;
  };
  auto ints = [](const std::vector<ConfigValue>& values) {
    std::vector<int64_t> out;
    for (const ConfigValue& v : values) out.push_back(std::get<int64_t>(v));
    return out;
  };
  auto executor_values = list("executor", {"threads", "processes", "async"});
  if (!executor_values.ok()) return executor_values.status();
  auto worker_values = list("workers", {int64_t{2}});
  if (!worker_values.ok()) return worker_values.status();
  auto policy_values = list("policy", {"fifo"});
  if (!policy_values.ok()) return policy_values.status();
  auto start_values = list("start", {"forkserver"});
  if (!start_values.ok()) return start_values.status();
  auto ipc_values = list("ipc", {"shm"});
  if (!ipc_values.ok()) return ipc_values.status();
  auto offload_values = list("offload", {int64_t{0}});
  if (!offload_values.ok()) return offload_values.status();
  const std::vector<std::string> executors = texts(*executor_values), policies = texts(*policy_values),
                                 starts = texts(*start_values), ipcs = texts(*ipc_values);
  const std::vector<int64_t> workers = ints(*worker_values), offloads = ints(*offload_values);
  auto models = st.OptString("models");
  if (!models.ok()) return models.status();
  auto intras = st.OptIntList("intra_op_threads", 1, 1024);
  if (!intras.ok()) return intras.status();
  if (*intras && !*models) return st.Error("intra_op_threads", "applies only with models = \"DIR\"");
  auto args = st.OptStringList("args", /*allow_empty=*/true);
  if (!args.ok()) return args.status();
  // The flags each cell's server is started with: the study's own.
  std::vector<std::string> owned = {"--port", "--db", "--admin-token-file", "--models", "--intra-op-threads"};
  for (const ConfigKey& key : ConfigKeys()) {
    if (key.In(kStudyDialect)) owned.emplace_back(key.flag);
  }
  for (const std::string& a : args->value_or(std::vector<std::string>{})) {
    for (const std::string& flag : owned) {
      if (a == flag || a.rfind(flag + "=", 0) == 0)
        return st.Error("args", flag + " is set by the study itself");
    }
  }
  for (const std::string& e : executors) {
    for (int64_t intra : intras->value_or(std::vector<int64_t>{0})) {
      for (int64_t w : workers) {
        for (const std::string& p : policies) {
          ServerConfig base;
          base.executor = e;
          base.workers = static_cast<int>(w);
          base.policy = p;
          base.intra_op_threads = static_cast<int>(intra);
          base.args = args->value_or(std::vector<std::string>{});
          base.models = models->value_or("");
          // The knobs that mean something for this executor multiply it.
          const ExecutorKind executor_kind = ParseExecutorKind(e).value();
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
            cross(starts, [](ServerConfig& c, const std::string& v) { c.start = v; });
          }
          if (ConfigKeyNamed("ipc").AppliesTo(executor_kind)) {
            cross(ipcs, [](ServerConfig& c, const std::string& v) { c.ipc = v; });
          }
          if (ConfigKeyNamed("offload").AppliesTo(executor_kind)) {
            cross(offloads, [](ServerConfig& c, int64_t v) { c.offload = static_cast<int>(v); });
          }
          spec.servers.insert(spec.servers.end(), variants.begin(), variants.end());
        }
      }
    }
  }

  // [[workload]]: what to send, at which load points.
  auto workloads = root.Tables("workload");
  if (!workloads.ok()) return workloads.status();
  if (workloads->empty()) return root.Error("workload", "missing: give at least one [[workload]] table");
  for (const TomlTable& t : *workloads) {
    Status wk = t.CheckKeys({"name", "mix", "connections", "rate", "arrivals"});
    if (!wk.ok()) return wk;
    StudyWorkload w;
    auto wname = t.String("name");
    if (!wname.ok()) return wname.status();
    w.name = *wname;
    for (const StudyWorkload& other : spec.workloads) {
      if (other.name == w.name) return t.Error("name", "'" + w.name + "' names two workloads");
    }
    auto mix = t.String("mix");
    if (!mix.ok()) return mix.status();
    auto parsed = RequestMix::Parse(*mix);
    if (!parsed.ok()) return t.Error("mix", parsed.status().message());
    w.mix = parsed->ToString();
    for (const MixEntry& e : parsed->entries()) w.uses_db = w.uses_db || e.kind == RequestKind::kIo;
    auto connections = t.OptIntList("connections", 1, 10000);
    if (!connections.ok()) return connections.status();
    auto rates = t.OptNumberList("rate", /*positive=*/true);
    if (!rates.ok()) return rates.status();
    if (*connections && *rates)
      return t.Error("rate", "give connections (closed loop) or rate (open loop), not both");
    if (!*connections && !*rates)
      return t.Error("connections", "missing: give connections or rate load points");
    if (*rates) {
      w.open_loop = true;
      w.points = **rates;
    } else {
      for (int64_t c : **connections) w.points.push_back(static_cast<double>(c));
    }
    auto arrivals = t.OptString("arrivals");
    if (!arrivals.ok()) return arrivals.status();
    if (*arrivals) {
      if (!w.open_loop) return t.Error("arrivals", "only open-loop load points (rate) have arrivals");
      auto a = ParseArrivals(**arrivals);
      if (!a.ok()) return t.Error("arrivals", a.status().message());
      w.arrivals = *a;
    }
    spec.workloads.push_back(std::move(w));
  }
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
