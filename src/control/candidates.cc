#include "control/candidates.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/toml_reader.h"
#include "policy/policy.h"

namespace switchyard {
namespace {

Result<std::vector<Candidate>> FromDocument(const TomlDocument& doc) {
  const TomlTable root = doc.root();
  if (Status s = root.CheckKeys({"candidate"}); !s.ok()) return s;
  auto tables = root.Tables("candidate");
  if (!tables.ok()) return tables.status();
  if (tables->empty()) {
    return InvalidArgument(fmt::format("{}: no [[candidate]] in it: the controller needs at least one", root.file()));
  }
  if (tables->size() > static_cast<size_t>(kMaxCandidates)) {
    return root.Error("candidate", fmt::format("{} candidates; at most {}", tables->size(), kMaxCandidates));
  }
  const std::vector<std::string> policies = PolicyNames();
  std::vector<Candidate> out;
  for (const TomlTable& t : *tables) {
    if (Status s = t.CheckKeys({"executor", "workers", "policy", "start", "offload"}); !s.ok()) return s;
    Candidate c;
    auto executor = t.String("executor");
    if (!executor.ok()) return executor.status();
    auto kind = ParseExecutorKind(*executor);
    if (!kind.ok()) return t.Error("executor", fmt::format("'{}': threads, processes or async", *executor));
    c.executor = *kind;
    auto workers = t.OptInt("workers", 1, 1024);
    if (!workers.ok()) return workers.status();
    if (c.executor == ExecutorKind::kAsync) {
      if (*workers) {
        return t.Error("workers", "async runs on the server's event loops (--io-threads), which cannot change "
                                  "live: leave workers out (offload is async's knob)");
      }
      c.workers = 0;
    } else {
      if (!*workers) return t.Error("workers", "missing (1..1024)");
      c.workers = static_cast<int>(**workers);
    }
    auto offload = t.OptInt("offload", 0, 1024);
    if (!offload.ok()) return offload.status();
    if (*offload) {
      if (c.executor != ExecutorKind::kAsync) return t.Error("offload", "only async has offload threads");
      c.offload = static_cast<int>(**offload);
    }
    auto policy = t.OptString("policy");
    if (!policy.ok()) return policy.status();
    if (*policy) {
      if (std::find(policies.begin(), policies.end(), **policy) == policies.end()) {
        return t.Error("policy", fmt::format("'{}': one of {}", **policy, fmt::join(policies, ", ")));
      }
      c.policy = **policy;
    }
    auto start = t.OptString("start");
    if (!start.ok()) return start.status();
    if (*start) {
      if (c.executor != ExecutorKind::kProcesses) return t.Error("start", "only processes have a start method");
      auto method = ParseStartMethod(**start);
      if (!method.ok()) return t.Error("start", fmt::format("'{}': fork, forkserver or spawn", **start));
      c.start = *method;
    }
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == c) {
        return t.Error("executor", fmt::format("the same configuration as candidate {} ({})", i + 1, c.Label()));
      }
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string Candidate::Label() const {
  if (executor == ExecutorKind::kAsync) {
    return offload > 0 ? fmt::format("async/{}/offload{}", policy, offload) : fmt::format("async/{}", policy);
  }
  std::string label = fmt::format("{}/{}/{}", ExecutorKindName(executor), workers, policy);
  if (executor == ExecutorKind::kProcesses) label += fmt::format("/{}", StartMethodName(start));
  return label;
}

ExecutorConfig Candidate::ApplyTo(ExecutorConfig base) const {
  base.kind = executor;
  base.policy = policy;
  if (executor != ExecutorKind::kAsync) base.workers = workers;  // async: the server's loops
  if (executor == ExecutorKind::kProcesses) base.start = start;
  if (executor == ExecutorKind::kAsync) base.offload = offload;
  return base;
}

Candidate Candidate::Of(const ExecutorConfig& config) {
  Candidate c;
  c.executor = config.kind;
  c.policy = config.policy;
  if (config.kind != ExecutorKind::kAsync) c.workers = config.workers;
  if (config.kind == ExecutorKind::kAsync) {
    c.workers = 0;
    c.offload = config.offload;
  }
  c.start = config.start;
  return c;
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
      for (int workers : {n, 4 * n}) out.push_back({kind, workers, policy, StartMethod::kForkServer});
    }
    for (int offload : {0, n}) out.push_back({ExecutorKind::kAsync, 0, policy, StartMethod::kForkServer, offload});
  }
  return out;
}

}  // namespace switchyard
