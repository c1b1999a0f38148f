// The sections of a report on server cells (a server study's, or the
// server records of a mixed file):
//
//   - Summary: per workload a table of the medians per load point and
//     configuration (bold: the best, report/crossover.h), with the server's
//     queue wait where records have it; per mix entry and per client tables
//     where a mix has several;
//   - Charts: per workload report/workload_charts.h's (on the page right
//     after the summary; in summary.md after the statements);
//   - Crossover points: one statement per workload;
//   - Scheduling policies: report/policy_statements.h's, where policies vary;
//   - Configuration of each cell (placed after the failed cells).
//
// Thread-safety: a pure function apart from the charts it adds to `doc`.
#pragma once

#include <string>
#include <vector>

#include "report/document.h"
#include "report/study.h"

namespace switchyard::report {

struct ServerSections {
  std::vector<Section> sections;                  // summary, charts, crossover points, scheduling policies
  Section configuration;                          // the configuration of each cell
  std::vector<std::string> crossover_statements;  // one per workload
};

// Adds the workloads' charts to `doc.charts`. `tie_fraction`: goodputs this
// close are tied (the crossover rule).
ServerSections ServerSectionsOf(const Study& study, double tie_fraction, Document& doc);

}  // namespace switchyard::report
