#include "report/adaptive_results.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "control/adaptation.h"
#include "control/controller.h"

namespace switchyard::report {
namespace {

std::vector<ServingSegment> ServingSegments(const AdaptiveRun& run) {
  std::vector<ServingSegment> segs;
  const double window = run.window_s.value_or(0);
  for (size_t k = 0; k < run.decisions.size(); ++k) {
    const AdaptiveDecision& d = run.decisions[k];
    const double from = d.at_s - window;
    if (k > 0 && from > run.decisions[k - 1].at_s) {
      // The previous step (its switch) ran until this window began; the
      // previous configuration served until the switch returned.
      segs.push_back({run.decisions[k - 1].at_s, from, run.decisions[k - 1].serving});
    }
    segs.push_back({from, d.at_s, d.serving});
  }
  return segs;
}

Figure Mean(const std::vector<Figure>& values) {
  double sum = 0;
  for (const Figure& v : values) {
    if (!v) return std::nullopt;  // a phase without the figure: no fair mean
    sum += *v;
  }
  if (values.empty()) return std::nullopt;
  return sum / static_cast<double>(values.size());
}

Figure Ratio(Figure a, Figure b) {
  if (!a || !b || *b <= 0) return std::nullopt;
  return *a / *b;
}

Figure Min(Figure a, Figure b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}
Figure Max(Figure a, Figure b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

// Per phase, the median of `field` over `runs`.
std::vector<Figure> PhaseMedians(const std::vector<const AdaptiveRun*>& runs, size_t phases,
                                 Figure AdaptivePhase::*field) {
  std::vector<Figure> out;
  for (size_t i = 0; i < phases; ++i) {
    std::vector<double> values;
    for (const AdaptiveRun* r : runs) {
      if (const Figure& v = r->phases[i].*field) values.push_back(*v);
    }
    out.push_back(MedianOf(values));
  }
  return out;
}

Figure RunMean(const AdaptiveRun& run, Figure AdaptivePhase::*field) {
  std::vector<Figure> values;
  for (const AdaptivePhase& p : run.phases) values.push_back(p.*field);
  return Mean(values);
}

AdaptiveRow RowOf(const std::string& name, bool is_static, const std::vector<const AdaptiveRun*>& runs,
                  size_t phases) {
  AdaptiveRow row;
  row.name = name;
  row.is_static = is_static;
  row.runs = static_cast<int>(runs.size());
  for (const AdaptiveRun* r : runs) {
    row.repetitions.push_back(r->repetition);
    for (const AdaptivePhase& p : r->phases) {
      row.sent += p.sent;
      row.errors += p.errors;
      row.lost += p.lost;
    }
  }
  row.reward = PhaseMedians(runs, phases, &AdaptivePhase::reward);
  row.phase_reward = PhaseMedians(runs, phases, &AdaptivePhase::phase_reward);
  row.p99_ms = PhaseMedians(runs, phases, &AdaptivePhase::p99_ms);
  row.mean_reward = Mean(row.reward);
  row.mean_phase_reward = Mean(row.phase_reward);
  return row;
}

// The best of `rows` in phase `i` by `field`: (figure, name).
std::pair<Figure, std::string> BestIn(const std::vector<AdaptiveRow>& rows, size_t i,
                                      std::vector<Figure> AdaptiveRow::*field) {
  std::pair<Figure, std::string> best;
  for (const AdaptiveRow& r : rows) {
    const Figure& v = (r.*field)[i];
    if (v && (!best.first || *v > *best.first)) best = {v, r.name};
  }
  return best;
}

std::pair<Figure, std::string> BestMean(const std::vector<AdaptiveRow>& rows, Figure AdaptiveRow::*field) {
  std::pair<Figure, std::string> best;
  for (const AdaptiveRow& r : rows) {
    const Figure& v = r.*field;
    if (v && (!best.first || *v > *best.first)) best = {v, r.name};
  }
  return best;
}

using RunsByName = std::map<std::string, std::vector<const AdaptiveRun*>>;

// The runs by row, in order: the candidates as the study lists them, then
// any other static name and the controllers as first met. A run of other
// phases than the first run's is left out, with a note.
struct GroupedRuns {
  std::vector<std::string> static_order, controller_order;
  RunsByName statics, controllers;
};

GroupedRuns GroupRuns(const std::vector<AdaptiveRun>& runs, AdaptiveComparison& c) {
  GroupedRuns g;
  g.static_order = runs.front().candidates;
  const size_t n = c.phases.size();
  for (const AdaptiveRun& r : runs) {
    bool same_phases = r.phases.size() == n;
    for (size_t i = 0; same_phases && i < n; ++i) same_phases = r.phases[i].name == c.phases[i];
    if (!same_phases) {
      c.notes.push_back(fmt::format("{} {} (repetition {}) ran other phases than the first run: left out",
                                    r.is_static ? "static" : "controller", r.name, r.repetition));
      continue;
    }
    auto& order = r.is_static ? g.static_order : g.controller_order;
    if (std::find(order.begin(), order.end(), r.name) == order.end()) order.push_back(r.name);
    (r.is_static ? g.statics : g.controllers)[r.name].push_back(&r);
  }
  return g;
}

// Per phase the oracle (the best static row, by either figure), its p99 and
// the good candidates; then the means and the best static configuration.
void FindOracles(AdaptiveComparison& c) {
  for (size_t i = 0; i < c.phases.size(); ++i) {
    auto [reward, pick] = BestIn(c.statics, i, &AdaptiveRow::reward);
    auto [phase_reward, phase_pick] = BestIn(c.statics, i, &AdaptiveRow::phase_reward);
    c.oracle_reward.push_back(reward);
    c.oracle_pick.push_back(pick);
    c.oracle_phase_reward.push_back(phase_reward);
    c.oracle_phase_pick.push_back(phase_pick);
    Figure p99;
    for (const AdaptiveRow& r : c.statics) {
      if (r.name == pick) p99 = r.p99_ms[i];
    }
    c.oracle_p99_ms.push_back(p99);
    std::set<std::string> good;
    for (const AdaptiveRow& r : c.statics) {
      if (reward && r.reward[i] && *r.reward[i] >= (1 - kAdaptiveGoodWithin) * *reward) good.insert(r.name);
    }
    c.good.push_back(std::move(good));
  }
  c.oracle_mean = Mean(c.oracle_reward);
  c.oracle_phase_mean = Mean(c.oracle_phase_reward);
  std::tie(c.best_mean, c.best_static) = BestMean(c.statics, &AdaptiveRow::mean_reward);
  std::tie(c.best_phase_mean, c.best_static_phase) = BestMean(c.statics, &AdaptiveRow::mean_phase_reward);
}

// What a controller's run is compared with in its own repetition: that
// repetition's oracle and the best static candidate's run.
class RepetitionBaselines {
 public:
  RepetitionBaselines(const AdaptiveComparison& c, const RunsByName& statics) : c_(c), statics_(statics) {
    for (const AdaptiveRow& row : c.statics) {
      for (const AdaptiveRun* r : statics.at(row.name)) of_rep_[r->repetition].push_back(r);
    }
  }

  Figure OracleMean(int64_t rep) const {
    auto it = of_rep_.find(rep);
    if (it == of_rep_.end()) return std::nullopt;
    std::vector<Figure> best(c_.phases.size());
    for (const AdaptiveRun* r : it->second) {
      for (size_t i = 0; i < best.size(); ++i) best[i] = Max(best[i], r->phases[i].reward);
    }
    return Mean(best);
  }

  Figure BestStaticMean(int64_t rep) const {
    auto it = statics_.find(c_.best_static);
    if (it == statics_.end()) return std::nullopt;
    for (const AdaptiveRun* r : it->second) {
      if (r->repetition == rep) return RunMean(*r, &AdaptivePhase::reward);
    }
    return std::nullopt;
  }

 private:
  const AdaptiveComparison& c_;
  const RunsByName& statics_;
  std::map<int64_t, std::vector<const AdaptiveRun*>> of_rep_;
};

// Windows logged "idle" while the load ran, and the longest step between two
// windows, of one run.
void NoteWindows(const AdaptiveRun& r, double load_end, AdaptiveRow& row) {
  const double window = r.window_s.value_or(0);
  for (size_t k = 0; k < r.decisions.size(); ++k) {
    const AdaptiveDecision& d = r.decisions[k];
    if (d.reason == DecisionReasonName(DecisionReason::kIdle) && d.at_s - window >= 0 && d.at_s <= load_end)
      ++row.idle_windows_under_load;
    if (k > 0) row.longest_step_s = std::max(row.longest_step_s, d.at_s - window - r.decisions[k - 1].at_s);
  }
}

// Per phase, the controller's adaptation over its runs; whether it met the
// target after every shift (the first phase is the start, not a shift).
void PutAdaptation(const std::vector<std::vector<RunAdaptation>>& adaptations, size_t phases,
                   AdaptiveRow& row) {
  if (phases > 1) row.shifts_met = true;
  for (size_t i = 0; i < phases; ++i) {
    PhaseAdaptation pa;
    std::vector<double> adapt, share;
    for (const auto& a : adaptations) {
      ++pa.runs;
      if (a[i].adapt_s) {
        adapt.push_back(*a[i].adapt_s);
      } else {
        ++pa.never;
      }
      if (a[i].good_at_target) ++pa.good_at_target;
      if (a[i].good_share) share.push_back(*a[i].good_share);
      const bool met = a[i].adapt_s && *a[i].adapt_s <= kAdaptiveTargetAdaptS && a[i].good_at_target;
      if (i > 0 && !met) row.shifts_met = false;
    }
    pa.adapt_s = MedianOf(adapt);
    if (!adapt.empty()) pa.max_adapt_s = *std::max_element(adapt.begin(), adapt.end());
    pa.good_share = MedianOf(share);
    row.adaptation.push_back(pa);
  }
}

AdaptiveRow ControllerRow(const std::string& name, const std::vector<const AdaptiveRun*>& runs,
                          const AdaptiveComparison& c, const RepetitionBaselines& baselines) {
  const size_t n = c.phases.size();
  AdaptiveRow row = RowOf(name, false, runs, n);
  row.vs_oracle = Ratio(row.mean_reward, c.oracle_mean);
  row.vs_best_static = Ratio(row.mean_reward, c.best_mean);
  row.phase_vs_oracle = Ratio(row.mean_phase_reward, c.oracle_phase_mean);
  row.phase_vs_best_static = Ratio(row.mean_phase_reward, c.best_phase_mean);
  const double load_end = n ? c.phase_start_s[n - 1] + c.phase_duration_s[n - 1] : 0;
  std::vector<double> switches;
  std::vector<std::vector<RunAdaptation>> adaptations;
  for (const AdaptiveRun* r : runs) {
    const Figure mean = RunMean(*r, &AdaptivePhase::reward);
    const Figure vs_oracle = Ratio(mean, baselines.OracleMean(r->repetition));
    const Figure vs_best = Ratio(mean, baselines.BestStaticMean(r->repetition));
    row.rep_vs_oracle_min = Min(row.rep_vs_oracle_min, vs_oracle);
    row.rep_vs_oracle_max = Max(row.rep_vs_oracle_max, vs_oracle);
    row.rep_vs_best_min = Min(row.rep_vs_best_min, vs_best);
    row.rep_vs_best_max = Max(row.rep_vs_best_max, vs_best);
    if (r->switches) switches.push_back(static_cast<double>(*r->switches));
    NoteWindows(*r, load_end, row);
    adaptations.push_back(AdaptationOf(*r, c.good));
  }
  row.switches = MedianOf(switches);
  PutAdaptation(adaptations, n, row);
  return row;
}

}  // namespace

std::vector<RunAdaptation> AdaptationOf(const AdaptiveRun& run,
                                        const std::vector<std::set<std::string>>& good) {
  std::vector<PhaseSpan> spans;
  for (const AdaptivePhase& p : run.phases) spans.push_back({p.start_s, p.duration_s});
  std::vector<RunAdaptation> out;
  for (const Adaptation& a : Adaptations(ServingSegments(run), spans, good, kAdaptiveTargetAdaptS)) {
    RunAdaptation r;
    r.adapt_s = a.adapt_s;
    r.good_at_target = a.good_at_target.value_or(false);
    r.good_share = a.good_share;
    out.push_back(r);
  }
  return out;
}

AdaptiveComparison CompareAdaptive(const std::vector<AdaptiveRun>& runs) {
  AdaptiveComparison c;
  if (runs.empty()) return c;
  for (const AdaptivePhase& p : runs.front().phases) {
    c.phases.push_back(p.name);
    c.phase_start_s.push_back(p.start_s);
    c.phase_duration_s.push_back(p.duration_s);
  }
  const GroupedRuns grouped = GroupRuns(runs, c);
  for (const std::string& name : grouped.static_order) {
    if (grouped.statics.count(name))
      c.statics.push_back(RowOf(name, true, grouped.statics.at(name), c.phases.size()));
  }
  FindOracles(c);
  const RepetitionBaselines baselines(c, grouped.statics);
  for (const std::string& name : grouped.controller_order) {
    c.controllers.push_back(ControllerRow(name, grouped.controllers.at(name), c, baselines));
  }
  return c;
}

}  // namespace switchyard::report
