// WriteReport: a rendered report (report/report.h) put on disk, all or
// nothing: DIR/index.html, DIR/summary.md and DIR/charts/*.svg.
//
// Thread-safety: touches the file system; must not race another
// WriteReport to the same directory.
#pragma once

#include <string>

#include "core/status.h"
#include "report/report.h"

namespace switchyard::report {

// Writes `report` into `dir`: builds it in a temporary directory beside
// `dir`, then moves it into place. A new `dir` is created (with its parents);
// in an existing one charts/, index.html and summary.md are replaced (one
// rename each, in that order) and nothing else is touched. On failure no
// temporary or partial report is left behind (parents created for `dir` stay).
Status WriteReport(const RenderedReport& report, const std::string& dir);

}  // namespace switchyard::report
