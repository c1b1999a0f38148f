// `switchyard report`: renders a study's JSON Lines results as an HTML page
// with charts, a Markdown summary and standalone SVG charts.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace switchyard {

struct ReportFlags {
  std::string results;     // the JSON Lines file `switchyard study` wrote
  std::string out;         // the report directory
  double tie_percent = 5;  // goodputs this close (percent) are tied when picking the best configuration
};

void AddReportFlags(CLI::App& app, ReportFlags& flags);
// 0: report written; 1: the results could not be read or the report not written.
int RunReport(const ReportFlags& flags);

}  // namespace switchyard
