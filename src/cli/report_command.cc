#include "cli/report_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "report/report.h"
#include "report/report_writer.h"
#include "report/results.h"

namespace switchyard {

void AddReportFlags(CLI::App& app, ReportFlags& flags) {
  app.add_option(
         "results", flags.results,
         "Results file (JSON Lines, one record per cell and repetition) written by `switchyard study`")
      ->type_name("FILE")
      ->required();
  app.add_option("-o,--out", flags.out,
                 "Report directory, created if needed: index.html (self-contained page with charts), "
                 "summary.md and charts/*.svg; existing report files in it are replaced")
      ->type_name("DIR")
      ->required();
  app.add_option("--tie-percent", flags.tie_percent,
                 "Crossover rule: goodputs within this many percent of the highest are tied, and the tie "
                 "goes to the lowest p99 latency")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.footer(
      "Failed records are listed in the report, not charted; figures of a cell repeated several times are "
      "medians across its successful repetitions. A malformed line fails the report (exit 1) and leaves no "
      "output behind.");
}

int RunReport(const ReportFlags& flags) {
  auto study = report::LoadStudy(flags.results);
  if (!study.ok()) {
    std::fprintf(stderr, "switchyard report: %s\n", study.status().message().c_str());
    return 1;
  }
  for (const auto& w : study->warnings) std::fprintf(stderr, "switchyard report: warning: %s\n", w.c_str());
  report::ReportOptions options;
  options.tie_fraction = flags.tie_percent / 100.0;
  options.source = flags.results;
  report::RenderedReport rendered = report::RenderReport(*study, options);
  Status s = report::WriteReport(rendered, flags.out);
  if (!s.ok()) {
    std::fprintf(stderr, "switchyard report: %s\n", s.message().c_str());
    return 1;
  }
  std::printf(
      "report: %d records (%d successful runs, %zu failed), %zu workloads, %zu charts -> %s/index.html\n",
      study->records, study->ok_records, study->failed.size(), study->workloads.size(),
      rendered.charts.size(), flags.out.c_str());
  for (const auto& line : rendered.crossover_statements) std::printf("  %s\n", line.c_str());
  for (const auto& line : rendered.pipeline_statements) std::printf("  %s\n", line.c_str());
  for (const auto& line : rendered.adaptive_statements) std::printf("  %s\n", line.c_str());
  return 0;
}

}  // namespace switchyard
