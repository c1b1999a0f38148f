// Figure: a number the report shows that may be missing (not measured, not
// reported, null in the record), and the median it takes of a cell's
// repetitions. A missing figure is shown "n/a", never 0.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <vector>

#include "results/number.h"

namespace switchyard::report {

using Figure = std::optional<double>;

// A record's number as a figure: none when absent, null or not finite.
Figure FigureOf(const std::optional<results::Number>& n);
Figure FigureOf(const results::Nullable<results::Number>& n);

// Median of the values present; nullopt when none is.
Figure MedianOf(std::vector<double> values);

}  // namespace switchyard::report
