// The pipeline section of a study's report: for each group of pipeline cells
// (report/pipeline_results.h: one per matrix size, and per other setting
// where the study varies it) a table of loader x workers with the medians of
// items/s, MB/s, starvation, batch wait p99, CPU cores and PSS; a chart of
// items/s against workers with one line per loader (sync, which has no
// workers, as a dashed level line); and a statement naming the best loader
// and its margin over the next loader and over sync, e.g.
//
//   "matrix 200: threads w4 is best with 812 items/s, 9% more than async w4
//    (745 items/s) and 3.38x sync (240 items/s)"
//
// Rendered as HTML (for index.html) and Markdown (for summary.md), with the
// charts as files for charts/. Thread-safety: a pure function.
#pragma once

#include <string>
#include <vector>

#include "report/report.h"
#include "report/study.h"

namespace switchyard::report {

struct PipelineSection {
  std::string html;      // an <h2 id="pipeline"> section; empty when the study has no pipeline records
  std::string markdown;  // a "## Pipeline" section; likewise
  std::vector<ChartFile> charts;        // "pipeline-<group slug>-items-vs-workers.svg", one per group
  std::vector<std::string> statements;  // one per group
};

// `tie_fraction`: a best loader within this fraction of the next is said to
// be tied with it (ReportOptions::tie_fraction).
PipelineSection RenderPipelineSection(const Study& study, double tie_fraction);

// The statement for one group (see above). With one loader measured:
// "matrix 0: only threads was measured; best at 4 workers with 812 items/s".
std::string PipelineStatement(const PipelineGroup& group, double tie_fraction);

}  // namespace switchyard::report
