#include "report/crossover.h"

#include <limits>

namespace switchyard::report {
namespace {

constexpr const char* kNobody = "no configuration (no goodput measured)";

std::string Who(const BestAt& b) { return b.series.empty() ? kNobody : b.series; }

}  // namespace

std::vector<BestAt> BestPerLoadPoint(const Workload& w, double tie_fraction) {
  std::vector<BestAt> out;
  for (double x : w.load_points) {
    BestAt best{x, {}};
    double top = -std::numeric_limits<double>::infinity();
    for (const auto& s : w.series) {
      const Cell* c = w.Find(s, x);
      if (c != nullptr && c->median.goodput_rps) top = std::max(top, *c->median.goodput_rps);
    }
    double best_p99 = std::numeric_limits<double>::infinity();
    bool found = false;
    for (const auto& s : w.series) {  // display order breaks the last ties
      const Cell* c = w.Find(s, x);
      if (c == nullptr || !c->median.goodput_rps) continue;
      double g = *c->median.goodput_rps;
      if (g < top - tie_fraction * top) continue;  // not tied with the highest
      double p99 = c->median.p99_us.value_or(std::numeric_limits<double>::infinity());
      if (!found || p99 < best_p99) {
        found = true;
        best_p99 = p99;
        best.series = s;
      }
    }
    out.push_back(best);
  }
  return out;
}

std::string CrossoverStatement(const Workload& w, const std::vector<BestAt>& best) {
  std::string head = w.name + ": ";
  if (best.empty()) return head + "no load point measured";
  if (best.size() == 1) {
    return head + "one load point only (" + FormatLoadPoint(best[0].x, w.mode) + "): " + Who(best[0]) +
           " is best";
  }
  // Runs of consecutive load points with the same best configuration.
  struct Run {
    size_t first, last;
  };
  std::vector<Run> runs;
  for (size_t i = 0; i < best.size(); ++i) {
    if (!runs.empty() && best[runs.back().last].series == best[i].series) {
      runs.back().last = i;
    } else {
      runs.push_back({i, i});
    }
  }
  if (runs.size() == 1) return head + Who(best[0]) + " is best at every load point measured";
  std::string s = head;
  for (size_t r = 0; r < runs.size(); ++r) {
    const Run& run = runs[r];
    if (r > 0) s += "; ";
    s += Who(best[run.first]) + " is best ";
    if (r == 0) {
      s += "up to " + FormatLoadPoint(best[run.last].x, w.mode);
    } else if (r + 1 == runs.size()) {
      s += "from " + FormatLoadPoint(best[run.first].x, w.mode);
    } else if (run.first == run.last) {
      s += "at " + FormatLoadPoint(best[run.first].x, w.mode);
    } else {
      s += "from " + FormatLoadValue(best[run.first].x) + " to " + FormatLoadPoint(best[run.last].x, w.mode);
    }
  }
  return s;
}

}  // namespace switchyard::report
