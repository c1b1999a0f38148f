// The report of a study: one self-contained HTML page (inline CSS, charts as
// inline SVG, no network reference), a Markdown summary, and every chart as a
// standalone SVG file.
//
//   DIR/index.html   title, machine; the sections of each kind of record the
//                    results hold; failed cells; the configuration of each
//                    server cell
//   DIR/summary.md   the same tables and statements, linking charts/*.svg
//   DIR/charts/*.svg every chart
//
// RenderReport builds one document (report/document.h) of the sections of
// each study kind — server cells (report/server_section.h: summary tables,
// charts, crossover points, scheduling policies), pipeline cells
// (report/pipeline_section.h), adaptive runs (report/adaptive_section.h) —
// then the failed cells, and renders it once to HTML and once to Markdown.
// A study of pipeline or adaptive records only shows no server sections.
// Rendering is separate from writing: RenderReport builds every file in
// memory, WriteReport (report/report_writer.h) puts them on disk.
//
// Thread-safety: RenderReport is a pure function.
#pragma once

#include <string>
#include <vector>

#include "report/crossover.h"
#include "report/document.h"
#include "report/study.h"

namespace switchyard::report {

struct ReportOptions {
  double tie_fraction = kDefaultTieFraction;  // goodputs this close are tied (crossover rule)
  std::string source;                         // the results file, named in the page footer
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

}  // namespace switchyard::report
