#include "study/adaptive_matrix.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "control/controller.h"
#include "core/duration.h"

namespace switchyard {
namespace {

// The serve flags a run sets itself: an `args` entry may not.
// clang-format off
constexpr const char* kOwnedFlags[] = {
    "--port", "--host", "--db", "--executor", "--workers", "--policy", "--start", "--offload", "--io-threads",
    "--controller", "--candidates", "--window", "--decisions-out", "--controller-seed", "--admin-token-file"};
// clang-format on

// `name` relative to the study file's directory (absolute names as given).
std::string Resolve(const std::string& study_file, const std::string& name) {
  const std::filesystem::path p(name);
  if (p.is_absolute()) return name;
  // Absolute: the servers get it as a flag, and the records name it.
  std::error_code ec;
  const std::filesystem::path joined = std::filesystem::path(study_file).parent_path() / p;
  const std::filesystem::path absolute = std::filesystem::absolute(joined, ec);
  return (ec ? joined : absolute).lexically_normal().string();
}

}  // namespace

std::string AdaptiveRunConfig::Id() const { return (is_static() ? "static." : "controller.") + name; }

std::vector<std::string> AdaptiveMatrix::CandidateArgs(const Candidate& c) const {
  std::vector<std::string> a = c.ServeArgs();
  a.insert(a.end(), {"--io-threads", std::to_string(io_threads)});
  return a;
}

std::vector<std::string> AdaptiveMatrix::ServeArgs(const AdaptiveRunConfig& run,
                                                   const std::string& decisions_out, int seed) const {
  std::vector<std::string> a;
  if (run.is_static()) {
    auto it = std::find_if(candidates.begin(), candidates.end(),
                           [&](const Candidate& c) { return c.Label() == run.name; });
    a = CandidateArgs(it == candidates.end() ? candidates.front() : *it);
  } else {
    // The first candidate's configuration: otherwise the controller would
    // add the server's own configuration to the candidates.
    a = CandidateArgs(candidates.front());
    a.insert(a.end(), {"--controller", run.name, "--candidates", candidates_path, "--window",
                       FormatDuration(window_us), "--decisions-out", decisions_out, "--controller-seed",
                       std::to_string(seed)});
  }
  a.insert(a.end(), args.begin(), args.end());
  return a;
}

bool AdaptiveMatrix::UsesDb() const {
  for (const LoadPhase& p : phases) {
    for (const MixEntry& e : p.mix.entries()) {
      if (e.kind == RequestKind::kIo) return true;
    }
  }
  return false;
}

Result<AdaptiveMatrix> ParseAdaptiveMatrix(const TomlTable& root, const std::string& study_file) {
  auto table = root.Table("adaptive");
  if (!table.ok()) return table.status();
  if (!*table) return root.Error("adaptive", "missing: the [adaptive] table names the candidates and phases");
  const TomlTable& t = **table;
  if (Status s = t.CheckKeys({"candidates", "phases", "controllers", "window", "io_threads", "args"});
      !s.ok()) {
    return s;
  }
  AdaptiveMatrix m;

  auto candidates = t.OptString("candidates");
  if (!candidates.ok()) return candidates.status();
  if (!*candidates) {
    return t.Error("candidates",
                   "missing: a candidates file (the `serve --candidates` format), relative to the "
                   "study file");
  }
  m.candidates_path = Resolve(study_file, **candidates);
  auto loaded = LoadCandidates(m.candidates_path);
  if (!loaded.ok()) return t.Error("candidates", loaded.status().message());
  m.candidates = std::move(*loaded);

  auto phases = t.OptString("phases");
  if (!phases.ok()) return phases.status();
  if (!*phases) {
    return t.Error("phases",
                   "missing: a phases file (the `bench --phases` format), relative to the study file");
  }
  m.phases_path = Resolve(study_file, **phases);
  auto phase_list = LoadPhasesFile(m.phases_path);
  if (!phase_list.ok()) return t.Error("phases", phase_list.status().message());
  m.phases = std::move(*phase_list);
  for (size_t i = 0; i < m.phases.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (m.phases[i].name == m.phases[j].name) {
        return t.Error("phases", fmt::format("{}: two phases are named '{}' (the report names phases)",
                                             m.phases_path, m.phases[i].name));
      }
    }
  }

  auto controllers = t.OptStringList("controllers", /*allow_empty=*/true);
  if (!controllers.ok()) return controllers.status();
  m.controllers =
      controllers->value_or(std::vector<std::string>{"ucb", "contextual", "random", "round-robin"});
  const std::vector<std::string_view> known = ControllerAlgorithmNames();
  for (size_t i = 0; i < m.controllers.size(); ++i) {
    const std::string& c = m.controllers[i];
    if (std::find(known.begin(), known.end(), c) == known.end()) {
      return t.Error("controllers", fmt::format("'{}': one of {}", c, fmt::join(known, ", ")));
    }
    if (std::find(m.controllers.begin(), m.controllers.begin() + static_cast<std::ptrdiff_t>(i), c) !=
        m.controllers.begin() + static_cast<std::ptrdiff_t>(i)) {
      return t.Error("controllers", fmt::format("'{}' is listed twice", c));
    }
  }

  auto window = t.OptDurationUs("window");
  if (!window.ok()) return window.status();
  m.window_us = window->value_or(m.window_us);
  if (m.window_us < 100'000) return t.Error("window", "at least 100ms (serve --window's minimum)");
  auto io_threads = t.OptInt("io_threads", 1, 256);
  if (!io_threads.ok()) return io_threads.status();
  m.io_threads = static_cast<int>(io_threads->value_or(m.io_threads));

  auto args = t.OptStringList("args", /*allow_empty=*/true);
  if (!args.ok()) return args.status();
  m.args = args->value_or(std::vector<std::string>{});
  for (const std::string& a : m.args) {
    for (const char* owned : kOwnedFlags) {
      if (a == owned || a.rfind(std::string(owned) + "=", 0) == 0) {
        return t.Error("args", std::string(owned) + " is set by the study itself");
      }
    }
  }

  for (size_t i = 0; i < std::max(m.candidates.size(), m.controllers.size()); ++i) {
    if (i < m.candidates.size()) {
      m.runs.push_back({AdaptiveRunConfig::Role::kStatic, m.candidates[i].Label()});
    }
    if (i < m.controllers.size()) m.runs.push_back({AdaptiveRunConfig::Role::kController, m.controllers[i]});
  }
  return m;
}

}  // namespace switchyard
