// The report of a study: one self-contained HTML page (inline CSS, charts as
// inline SVG, no network reference), a Markdown summary, and every chart as a
// standalone SVG file.
//
//   DIR/index.html   title, machine; summary tables (with the server's queue
//                    wait where records have it), per mix entry and per
//                    client tables where a mix has several; charts;
//                    crossover statements; scheduling-policy statements
//                    where policies vary; failed cells; the configuration
//                    of each cell
//   DIR/summary.md   the same tables and statements, linking charts/*.svg
//   DIR/charts/*.svg per workload: throughput vs p99, latency vs load, CPU
//                    time and context switches per request, PSS; where the
//                    worker count varies, throughput and p99 vs workers;
//                    per pipeline group, items/s vs workers
//
// Pipeline records (`switchyard load` runs of a pipeline study) get their own
// section (report/pipeline_section.h) before the failed cells; a study of
// pipeline records only shows no server sections (summary, charts, crossover
// points, configuration). Adaptive records (the runs of an adaptive study)
// get theirs likewise (report/adaptive_section.h).
//
// Rendering is separate from writing: RenderReport builds every file in
// memory, WriteReport puts them on disk (all or nothing).
//
// Thread-safety: RenderReport is a pure function; WriteReport touches the
// file system and must not race another WriteReport to the same directory.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "report/crossover.h"
#include "report/study.h"

namespace switchyard::report {

struct ReportOptions {
  double tie_fraction = kDefaultTieFraction;  // goodputs this close are tied (crossover rule)
  std::string source;                         // the results file, named in the page footer
};

struct ChartFile {
  std::string file_name;  // inside charts/, e.g. "cpu-throughput-vs-p99.svg"
  std::string title;
  std::string workload;
  std::string svg;         // the standalone document
  std::string svg_inline;  // the same chart as an <svg> element for the page
};

struct RenderedReport {
  std::string index_html;
  std::string summary_md;
  std::vector<ChartFile> charts;
  std::vector<std::string> crossover_statements;  // one per workload
  std::vector<std::string> pipeline_statements;   // one per pipeline group: the best loader
  std::vector<std::string> adaptive_statements;   // per controller its targets, then lost requests
};

RenderedReport RenderReport(const Study& study, const ReportOptions& options = {});

// Writes `report` into `dir`: builds it in a temporary directory beside
// `dir`, then moves it into place. A new `dir` is created (with its parents);
// in an existing one charts/, index.html and summary.md are replaced (one
// rename each, in that order) and nothing else is touched. On failure no
// temporary or partial report is left behind (parents created for `dir` stay).
Status WriteReport(const RenderedReport& report, const std::string& dir);

}  // namespace switchyard::report
