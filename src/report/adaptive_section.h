// The adaptive controller section of a study's report (issue 7), from the
// comparison of report/adaptive_results.h:
//
//   - a per-phase table: a row per static candidate, the oracle (the best
//     static candidate of each phase) and a row per controller; per phase its
//     reward and p99, then the mean reward and mean phase reward over the
//     phases, each controller's ratio to the oracle and to the best static
//     configuration, lost requests;
//   - per controller, the targets stated plainly with their figures:
//     "ucb: mean reward 0.86 of the oracle's (target >= 0.9: NOT met; per
//     repetition 0.80-0.91) and 1.21 of the best static threads/16/fifo's
//     (target > 1: met)";
//   - a table of time to adapt after each shift and switches, with the
//     target (a good candidate within 5 s of every shift, in every run);
//   - a chart of the per-second reward over the run for each controller
//     against the oracle's per-phase level.
//
// Sections of the report's document (report/document.h), with the chart
// added to it. Thread-safety: a pure function apart from the chart it adds
// to `doc`.
#pragma once

#include <string>
#include <vector>

#include "report/document.h"
#include "report/study.h"

namespace switchyard::report {

struct AdaptiveSections {
  // "Adaptive controller" and its parts; none when the study has no
  // adaptive records.
  std::vector<Section> sections;
  std::vector<std::string> statements;  // the targets, one per controller (and lost requests)
};

// Adds "adaptive-reward-over-time.svg" to `doc.charts` where a controller ran.
AdaptiveSections AdaptiveSectionsOf(const Study& study, Document& doc);

// The targets of one controller, as the section states them.
std::string AdaptiveTargetStatement(const AdaptiveComparison& c, const AdaptiveRow& controller);

}  // namespace switchyard::report
