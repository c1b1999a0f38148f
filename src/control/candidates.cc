#include "control/candidates.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/toml_reader.h"
#include "executor/config_toml.h"

namespace switchyard {
namespace {

// The knobs a candidate may give, by name, for CheckKeys.
std::vector<std::string_view> CandidateKeyNames() {
  std::vector<std::string_view> names;
  for (const ConfigKey& key : ConfigKeys()) {
    if (key.In(kCandidateDialect)) names.push_back(key.name);
  }
  return names;
}

Result<Candidate> CandidateOf(const TomlTable& t) {
  const std::vector<std::string_view> names = CandidateKeyNames();
  if (Status s = t.CheckKeys(std::span<const std::string_view>(names)); !s.ok()) return s;
  Candidate c;
  const ConfigKey& executor = ConfigKeyNamed("executor");
  if (!t.Has(executor.name)) return t.Error(executor.name, "missing (threads, processes or async)");
  auto kind = ReadConfigValue(t, executor);
  if (!kind.ok()) return kind.status();
  if (Status s = c.Set(executor, **kind); !s.ok()) return t.Error(executor.name, s.message());
  for (const ConfigKey& key : ConfigKeys()) {
    if (!key.In(kCandidateDialect) || &key == &executor) continue;
    auto value = ReadConfigValue(t, key);
    if (!value.ok()) return value.status();
    const bool chosen_live = key.AppliesTo(c.executor()) && !key.FixedLive(c.executor());
    if (!*value) {
      // A knob the candidate must choose: one without a default worth having.
      if (key.name == "workers" && chosen_live) return t.Error(key.name, "missing (1..1024)");
      continue;
    }
    if (key.FixedLive(c.executor())) return t.Error(key.name, std::string(key.fixed_live_reason));
    if (!key.AppliesTo(c.executor())) return t.Error(key.name, std::string(key.not_applicable));
    if (Status s = c.Set(key, **value); !s.ok()) return t.Error(key.name, s.message());
  }
  return c;
}

Result<std::vector<Candidate>> FromDocument(const TomlDocument& doc) {
  const TomlTable root = doc.root();
  if (Status s = root.CheckKeys({"candidate"}); !s.ok()) return s;
  auto tables = root.Tables("candidate");
  if (!tables.ok()) return tables.status();
  if (tables->empty()) {
    return InvalidArgument(
        fmt::format("{}: no [[candidate]] in it: the controller needs at least one", root.file()));
  }
  if (tables->size() > static_cast<size_t>(kMaxCandidates)) {
    return root.Error("candidate", fmt::format("{} candidates; at most {}", tables->size(), kMaxCandidates));
  }
  std::vector<Candidate> out;
  for (const TomlTable& t : *tables) {
    auto c = CandidateOf(t);
    if (!c.ok()) return c.status();
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == *c) {
        return t.Error("executor",
                       fmt::format("the same configuration as candidate {} ({})", i + 1, c->Label()));
      }
    }
    out.push_back(*c);
  }
  return out;
}

// The knobs every label spells out (executor/workers/policy/start,
// offload); the candidates dialect's later ones are named only when set.
bool IsFirstFive(const ConfigKey& key) {
  return key.name == "executor" || key.name == "workers" || key.name == "policy" || key.name == "start" ||
         key.name == "offload";
}

}  // namespace

Candidate::Candidate(ExecutorKind executor, int workers, std::string policy, StartMethod start, int offload) {
  settings_.kind = executor;
  settings_.workers = workers;
  settings_.policy = std::move(policy);
  settings_.start = start;
  settings_.offload = offload;
}

Candidate Candidate::Of(const ExecutorConfig& config) {
  Candidate c;
  c.settings_ = config;
  return c;
}

int Candidate::workers() const {
  return ConfigKeyNamed("workers").FixedLive(settings_.kind) ? 0 : settings_.workers;
}

Status Candidate::Set(const ConfigKey& key, const ConfigValue& value) {
  if (!key.In(kCandidateDialect))
    return InvalidArgument(std::string(key.name) + " is not a candidate's knob");
  return SetConfigValue(settings_, key, value);
}

std::string Candidate::Label() const {
  std::string label;
  if (executor() == ExecutorKind::kAsync) {
    label = offload() > 0 ? fmt::format("async/{}/offload{}", policy(), offload())
                          : fmt::format("async/{}", policy());
  } else {
    label = fmt::format("{}/{}/{}", ExecutorKindName(executor()), workers(), policy());
    if (executor() == ExecutorKind::kProcesses) label += fmt::format("/{}", StartMethodName(start()));
  }
  // Knobs added to the candidates dialect after the five above: named, so
  // two candidates that differ only in them differ in their label too.
  for (const ConfigKey& key : ConfigKeys()) {
    if (!Chooses(key) || IsFirstFive(key)) continue;
    const ConfigValue value = key.get(settings_);
    if (value != key.get(ExecutorConfig{})) {
      label += fmt::format("/{}={}", key.name, FormatConfigText(key, value));
    }
  }
  return label;
}

bool Candidate::Chooses(const ConfigKey& key) const {
  return key.In(kCandidateDialect) && key.AppliesTo(executor()) && !key.FixedLive(executor());
}

ExecutorConfig Candidate::ApplyTo(ExecutorConfig base) const {
  for (const ConfigKey& key : ConfigKeys()) {
    if (Chooses(key)) key.set(base, key.get(settings_));
  }
  return base;
}

std::vector<std::string> Candidate::ServeArgs() const {
  std::vector<std::string> args;
  for (const ConfigKey& key : ConfigKeys()) {
    if (!Chooses(key)) continue;
    // The later knobs only when set, as in the label: a fresh server starts
    // on their defaults anyway.
    if (!IsFirstFive(key) && key.get(settings_) == key.get(ExecutorConfig{})) continue;
    std::vector<std::string> flag = ConfigFlagArgs(key, key.get(settings_));
    args.insert(args.end(), flag.begin(), flag.end());
  }
  return args;
}

Result<std::vector<Candidate>> LoadCandidates(const std::string& path) {
  auto doc = TomlDocument::Load(path);
  if (!doc.ok()) return doc.status();
  return FromDocument(**doc);
}

Result<std::vector<Candidate>> ParseCandidates(std::string_view text, const std::string& name) {
  auto doc = TomlDocument::Parse(text, name);
  if (!doc.ok()) return doc.status();
  return FromDocument(**doc);
}

std::vector<Candidate> DefaultCandidates(unsigned cores) {
  const int n = static_cast<int>(std::max(1u, cores));
  std::vector<Candidate> out;
  for (const char* policy : {"fifo", "sjf"}) {
    for (ExecutorKind kind : {ExecutorKind::kThreads, ExecutorKind::kProcesses}) {
      for (int workers : {n, 4 * n}) out.emplace_back(kind, workers, policy);
    }
    for (int offload : {0, n})
      out.emplace_back(ExecutorKind::kAsync, 0, policy, StartMethod::kForkServer, offload);
  }
  return out;
}

}  // namespace switchyard
