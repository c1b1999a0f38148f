// How the report writes numbers: every formatter of its tables, statements
// and chart labels, in one place. Several look alike and differ on purpose
// — each table has always shown its figures its own way (the server tables
// group thousands, the pipeline tables do not) — so each name says how it
// writes. A missing figure is written "n/a" (kNa), never 0.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "report/figure.h"
#include "results/run_record.h"

namespace switchyard::report {

inline constexpr const char* kNa = "n/a";

// ---- plain numbers ------------------------------------------------------------

// Whole, with thousands grouped: "1,044", "-12,500".
std::string WithThousands(double v);
// At most `digits` significant digits, no trailing zeros ("%g"): "0.25", "1.5e+06"; 0 is "0".
std::string SignificantDigits(double v, int digits);
// For chart ticks and labels: at most four significant digits, thousands
// as "k" and millions as "M" from 10,000 up (12.5k, 1.5M); "n/a" when not finite.
std::string FormatCompact(double v);

// ---- figures ("n/a" when missing) ----------------------------------------------

// Requests or items per second, from 100 up whole with thousands grouped
// ("1,044"), below with one decimal ("12.5"): the server tables.
std::string RateWithSeparators(const Figure& f);
// The same without the grouping ("1044", "12.5"): the pipeline tables and statements.
std::string RateWithoutSeparators(const Figure& f);
// A count: whole with thousands grouped ("1,044"), a fraction with one
// decimal ("2.5", a median of two): errors, 503s and 504s.
std::string CountWithSeparators(const Figure& f);
// A count in the shortest form ("{:g}": "3", "2.5", "1e+06"): pipeline counts.
std::string CountShortest(const Figure& f);
// Microseconds as milliseconds, three significant digits or more: "0.290",
// "7.10", "38.3", "1,038".
std::string MillisFromMicros(const Figure& us);
// Three significant digits ("0.00722", "2.29e-05"); 0 is "0".
std::string ThreeSignificant(const Figure& f);
// A fixed number of decimals: "0.942" (3), "79.50" (2).
std::string FixedDecimals(const Figure& f, int decimals);
// Bytes as MiB (2^20) with one decimal: "3.9".
std::string MebibytesOneDecimal(const Figure& bytes);
// Bytes as MB (10^6) with one decimal: "120.0".
std::string MegabytesOneDecimal(const Figure& bytes);
// An integer setting: "8".
std::string IntegerOrNa(const std::optional<int64_t>& v);
// The change of `v` against `base`, rounded to a whole percent: "−40%",
// "+60%", "±0%"; empty without a positive baseline.
std::string PercentChange(const Figure& v, const Figure& base);

// ---- load points ----------------------------------------------------------------

// A load point's number: "16", "2.5".
std::string FormatLoadValue(double x);
// "16 connections", "1 connection", "250 req/s".
std::string FormatLoadPoint(double x, results::LoadMode mode);
// The unit of load points: "connections" or "req/s".
std::string_view LoadUnit(results::LoadMode mode);

}  // namespace switchyard::report
