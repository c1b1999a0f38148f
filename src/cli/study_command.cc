#include "cli/study_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/load_command.h"
#include "cli/report_command.h"
#include "cli/serve_command.h"
#include "study/study_runner.h"

namespace switchyard {

void AddStudyFlags(CLI::App& app, StudyFlags& f) {
  app.add_option("file", f.file, "The study: a TOML file naming the matrix (see studies/quick.toml)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--out,-o", f.out,
                 "Results file, JSON Lines, appended to; runs already recorded there are skipped, so an "
                 "interrupted study resumes (default results/<name>.jsonl)");
  app.add_option("--report", f.report_dir, "When done, write the HTML/Markdown report here (switchyard report)");
  app.add_flag("--check", f.check, "Check the study file and list its cells; run nothing");
  app.footer(
      "Each cell starts `switchyard serve` with its configuration on a free loopback port, warms up, measures "
      "with the built-in load generator and stops the server. A pipeline study ([pipeline] instead of [server], "
      "see studies/pipeline.toml) generates its data set once in the work directory (OUT.d) and runs each cell "
      "as a child `switchyard load`. An adaptive study ([adaptive], see studies/adaptive.toml) runs a phased "
      "workload against every candidate as a static server and against each adaptive controller. Exit status: 0 "
      "every run succeeded; 1 some runs failed (they are recorded "
      "with the reason); 2 bad study file or flags.");
}

namespace {

// Parses a pipeline cell's `switchyard load` flags as `switchyard load`
// would, without running anything: InvalidArgument with its complaint.
Status CheckLoadArgs(const PipelineCellConfig& cell) {
  CLI::App app;
  LoadFlags flags;
  AddLoadFlags(app, flags);
  std::vector<std::string> args = {"--data", "(the study's data set)"};
  const std::vector<std::string> cell_args = cell.LoadArgs();
  args.insert(args.end(), cell_args.begin(), cell_args.end());
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::Success&) {  // --help
    return InvalidArgument("asks for help, not a run");
  } catch (const CLI::ParseError& e) {
    return InvalidArgument(e.what());
  }
  if (flags.delivery != "in-order" && flags.delivery != "as-ready") {
    return InvalidArgument("--delivery " + flags.delivery + ": in-order or as-ready");
  }
  return ValidatePipelineOptions(flags.options);
}

// Parses an adaptive run's `switchyard serve` flags as `switchyard serve`
// would (flag names and values, not what the server makes of them), without
// running anything: InvalidArgument with its complaint.
Status CheckServeArgs(const AdaptiveMatrix& m, const AdaptiveRunConfig& run) {
  CLI::App app;
  ServeFlags flags;
  AddServeFlags(app, flags);
  std::vector<std::string> args = m.ServeArgs(run, "(the run's decisions file)", 0);
  args.insert(args.end(), {"--port", "0", "--log-level", "warn"});
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::Success&) {  // --help
    return InvalidArgument("asks for help, not a run");
  } catch (const CLI::ParseError& e) {
    return InvalidArgument(e.what());
  }
  return Status::Ok();
}

// What an adaptive study will run; an exit status when the command stops here.
std::optional<int> PlanAdaptiveStudy(const StudySpec& spec, const StudyFlags& f) {
  const AdaptiveMatrix& m = spec.adaptive();
  // Extra serve flags that it would refuse would fail every run one by
  // one: say it once, now (a controller's run has every flag a static one
  // has, and more).
  if (Status s = CheckServeArgs(m, m.runs.size() > 1 ? m.runs[1] : m.runs[0]); !s.ok()) {
    std::fprintf(stderr, "switchyard study: %s: [adaptive] args: %s\n", f.file.c_str(), s.message().c_str());
    return 2;
  }
  double run_s = static_cast<double>(spec.warmup_us) / 1e6 + 1.0;  // + the server's start and stop
  for (const LoadPhase& p : m.phases) run_s += static_cast<double>(p.duration_us) / 1e6;
  const int runs = static_cast<int>(m.runs.size()) * spec.repetitions;
  std::printf("study %s (adaptive): %zu candidates + %zu controllers x %d repetitions = %d runs of %zu phases, "
              "about %.0f s\n",
              spec.name.c_str(), m.candidates.size(), m.controllers.size(), spec.repetitions, runs,
              m.phases.size(), runs * run_s);
  if (f.check) {
    for (const AdaptiveRunConfig& r : m.runs) std::printf("  %s\n", r.Id().c_str());
    return 0;
  }
  return std::nullopt;
}

// What a pipeline study will run; an exit status when the command stops here.
std::optional<int> PlanPipelineStudy(const StudySpec& spec, const StudyFlags& f) {
  const PipelineMatrix& m = spec.pipeline();
  // Extra `switchyard load` flags that it would refuse would fail every
  // cell one by one: say it once, now.
  if (Status s = CheckLoadArgs(m.cells.front()); !s.ok()) {
    std::fprintf(stderr, "switchyard study: %s: [pipeline] args: %s\n", f.file.c_str(), s.message().c_str());
    return 2;
  }
  const auto& cells = m.cells;
  const int runs = static_cast<int>(cells.size()) * spec.repetitions;
  const StudyDataSet& d = m.data;
  std::printf(
      "study %s (pipeline): %zu cells x %d repetitions = %d runs of switchyard load on %lld files of %.3g to "
      "%.3g MB (each run at most %.0f s)\n",
      spec.name.c_str(), cells.size(), spec.repetitions, runs, static_cast<long long>(d.files),
      static_cast<double>(d.min_bytes) / 1e6, static_cast<double>(d.max_bytes) / 1e6,
      static_cast<double>(m.timeout_us) / 1e6);
  if (f.check) {
    for (const PipelineCellConfig& c : cells) std::printf("  %s\n", c.Id().c_str());
    return 0;
  }
  return std::nullopt;
}

// What a server study will run; an exit status when the command stops here.
std::optional<int> PlanServerStudy(const StudySpec& spec, const StudyFlags& f) {
  const auto cells = spec.Cells();
  const int runs = static_cast<int>(cells.size()) * spec.repetitions;
  const double per_run_s = static_cast<double>(spec.duration_us + spec.warmup_us) / 1e6 + 0.5;
  std::printf("study %s: %zu cells x %d repetitions = %d runs, about %.0f s\n", spec.name.c_str(), cells.size(),
              spec.repetitions, runs, runs * per_run_s);
  if (f.check) {
    for (const StudyCell& c : cells) std::printf("  %s\n", c.id.c_str());
    return 0;
  }
  return std::nullopt;
}

}  // namespace

int RunStudyCommand(const StudyFlags& f) {
  auto spec = LoadStudyFile(f.file);
  if (!spec.ok()) {
    std::fprintf(stderr, "switchyard study: %s\n", spec.status().message().c_str());
    return 2;
  }
  // Per kind: refuse what would fail every run, say what will run (with
  // --check, list it and stop there).
  std::optional<int> stop;
  switch (spec->kind()) {
    case StudyKind::kServer:
      stop = PlanServerStudy(*spec, f);
      break;
    case StudyKind::kPipeline:
      stop = PlanPipelineStudy(*spec, f);
      break;
    case StudyKind::kAdaptive:
      stop = PlanAdaptiveStudy(*spec, f);
      break;
  }
  if (stop) return *stop;
  // A missing model repository would fail every cell one by one: say it once.
  for (const ServerConfig& s : spec->servers) {
    std::error_code missing;
    if (!s.models.empty() && !std::filesystem::is_directory(s.models, missing)) {
      std::fprintf(stderr,
                   "switchyard study: models directory '%s' not found (make the reference models with "
                   "/usr/bin/python3 scripts/export_models.py --out %s)\n",
                   s.models.c_str(), s.models.c_str());
      return 2;
    }
  }
  StudyOptions options;
  options.results_path = f.out.empty() ? "results/" + spec->name + ".jsonl" : f.out;
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(options.results_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  options.work_dir = options.results_path + ".d";
  options.log = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  auto tally = RunStudy(*spec, options);
  if (!tally.ok()) {
    std::fprintf(stderr, "switchyard study: %s\n", tally.status().message().c_str());
    return 2;
  }
  std::printf("study %s: %d runs done now, %d failed, %d already done; results in %s\n", spec->name.c_str(),
              tally->ok, tally->failed, tally->skipped, options.results_path.c_str());
  if (!f.report_dir.empty()) {
    ReportFlags report;
    report.results = options.results_path;
    report.out = f.report_dir;
    int code = RunReport(report);
    if (code != 0) return code;
  }
  return tally->failed > 0 ? 1 : 0;
}

}  // namespace switchyard
