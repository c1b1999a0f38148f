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
// Sections of the report's document (report/document.h), with the charts
// added to it. Thread-safety: a pure function apart from the charts it adds
// to `doc`.
#pragma once

#include <string>
#include <vector>

#include "report/document.h"
#include "report/study.h"

namespace switchyard::report {

struct PipelineSections {
  // "Pipeline", a section per group, the best loaders, the configuration of
  // each pipeline cell; none when the study has no pipeline records.
  std::vector<Section> sections;
  std::vector<std::string> statements;  // one per group
};

// Adds "pipeline-<group slug>-items-vs-workers.svg", one per group, to
// `doc.charts`. `tie_fraction`: a best loader within this fraction of the
// next is said to be tied with it (ReportOptions::tie_fraction).
PipelineSections PipelineSectionsOf(const Study& study, double tie_fraction, Document& doc);

// The statement for one group (see above). With one loader measured:
// "matrix 0: only threads was measured; best at 4 workers with 812 items/s".
std::string PipelineStatement(const PipelineGroup& group, double tie_fraction);

}  // namespace switchyard::report
