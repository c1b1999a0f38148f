// How the report writes numbers: every formatter of the tables, statements
// and chart labels, in one place. Several look alike and differ on purpose
// (each table has always shown its figures its own way); their names say
// how they differ. A missing figure is written "n/a" (kNa), never 0.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "report/figure.h"
#include "results/run_record.h"

namespace switchyard::report {

inline constexpr const char* kNa = "n/a";

// ---- load points ----------------------------------------------------------------

// A load point's number: "16", "2.5".
std::string FormatLoadValue(double x);
// "16 connections", "1 connection", "250 req/s".
std::string FormatLoadPoint(double x, results::LoadMode mode);
// The unit of load points: "connections" or "req/s".
std::string_view LoadUnit(results::LoadMode mode);

}  // namespace switchyard::report
