#include "report/crossover.h"

#include <algorithm>
#include <limits>

#include "report/format.h"

namespace switchyard::report {
namespace {

constexpr const char* kNobody = "no configuration (no goodput measured)";

std::string Who(const BestAt& b) { return b.series.empty() ? kNobody : b.series; }

// " (goodput within 5% of: a, b)" for the configurations tied with the best
// at any of best[first..last]; empty when the best stood alone.
std::string Ties(const std::vector<BestAt>& best, size_t first, size_t last) {
  std::vector<std::string> names;
  for (size_t i = first; i <= last; ++i) {
    for (const std::string& t : best[i].tied) {
      if (std::find(names.begin(), names.end(), t) == names.end()) names.push_back(t);
    }
  }
  if (names.empty()) return "";
  std::string s =
      " (goodput within " + std::to_string(static_cast<int>(best[first].tie_fraction * 100 + 0.5)) + "% of: ";
  for (size_t i = 0; i < names.size(); ++i) s += (i > 0 ? ", " : "") + names[i];
  return s + ")";
}

}  // namespace

std::vector<BestAt> BestPerLoadPoint(const Workload& w, double tie_fraction) {
  std::vector<BestAt> out;
  for (double x : w.load_points) {
    BestAt best{x, {}, {}, tie_fraction};
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
    for (const auto& s : w.series) {
      const Cell* c = w.Find(s, x);
      if (s == best.series || c == nullptr || !c->median.goodput_rps) continue;
      if (*c->median.goodput_rps >= top - tie_fraction * top) best.tied.push_back(s);
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
           " is best" + Ties(best, 0, 0);
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
  if (runs.size() == 1) {
    return head + Who(best[0]) + " is best at every load point measured" + Ties(best, 0, best.size() - 1);
  }
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
    s += Ties(best, run.first, run.last);
  }
  return s;
}

}  // namespace switchyard::report
