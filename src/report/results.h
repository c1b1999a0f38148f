// Aggregate: the records of a results file (results/results_file.h) turned
// into the Study the report shows (report/study.h):
//
//   - the study's name(s), dates and machine;
//   - the last ok record of each (cell, repetition) counts; a failed record
//     no later ok one of the same (cell, repetition) replaced is listed as
//     failed;
//   - server cells: medians across their repetitions (figures derived as
//     report/run_view.h says), grouped into workloads (one per name and
//     load mode), each with its load points and its configurations
//     (labelled by report/series_label.h) in display order;
//   - pipeline cells: medians, grouped (report/pipeline_results.h);
//   - adaptive runs: kept as runs for the comparison
//     (report/adaptive_results.h).
//
// Thread-safety: pure functions (LoadStudy reads the file it is given).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "report/study.h"
#include "results/results_file.h"

namespace switchyard::report {

Study Aggregate(const std::vector<results::NumberedRecord>& records);

// ReadRecords + Aggregate of the file at `path`; read warnings go to Study::warnings.
Result<Study> LoadStudy(const std::string& path);

}  // namespace switchyard::report
