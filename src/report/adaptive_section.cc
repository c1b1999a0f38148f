#include "report/adaptive_section.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "report/format.h"
#include "report/svg_chart.h"

namespace switchyard::report {
namespace {

constexpr const char* kNote =
    "Each run is a fresh server driven through every phase (the warm-up: the first phase's load): every "
    "candidate as a static server, and each controller switching among the candidates live. Reward: the mean "
    "over the phase's seconds of ok answers / (1 + p99 ms) of that second, the controller's own reward per "
    "window (a second without answers scores 0). Phase reward: the phase's ok/s / (1 + the whole phase's p99 "
    "ms), stricter: a few bad seconds set the phase's p99. p99: of the whole phase. Each figure is the "
    "median "
    "across repetitions. The oracle is the best static candidate of each phase; the best static "
    "configuration "
    "is the candidate with the best mean over the phases. Lost: requests sent but never answered, plus "
    "answers "
    "that were errors, over every repetition.";

constexpr const char* kAdaptNote =
    "Good candidates of a phase: those whose static reward is within 5% of the oracle's. Time to adapt: "
    "seconds "
    "after the phase began until the controller first served a good candidate (median over repetitions, the "
    "slowest in brackets; resolution one window); good at 5 s: the repetitions in which it served one 5 s "
    "into "
    "the phase (at the end of a shorter one). The first phase is the start, not a shift. Target (issue 7): "
    "after every shift, in every "
    "repetition, a good candidate within 5 s and still served at 5 s. Switches: median per run.";

// A reward or a p99 ("79.50"); a ratio to the oracle ("0.942").
std::string Num(const Figure& f, int digits = 2) { return FixedDecimals(f, digits); }
std::string Ratio(const Figure& f) { return FixedDecimals(f, 3); }
std::string Met(bool ok) { return ok ? "met" : "NOT met"; }

std::string Range(const Figure& lo, const Figure& hi) {
  if (!lo || !hi) return kNa;
  if (std::fabs(*lo - *hi) < 5e-4) return Ratio(lo);
  return Ratio(lo) + "–" + Ratio(hi);
}

// The per-phase table: statics, the oracle, controllers; bold: the best
// static configuration.
Table PhaseTable(const AdaptiveComparison& c) {
  std::vector<std::string> headers = {"Run"};
  std::vector<Row> rows;
  for (const auto& p : c.phases) {
    headers.push_back(p + ": reward");
    headers.push_back(p + ": p99 (ms)");
  }
  headers.insert(headers.end(), {"Mean reward", "Mean phase reward", "vs oracle", "vs best static",
                                 "Phase reward vs oracle", "Phase reward vs best static", "Lost", "Runs"});
  auto row_of = [&](const AdaptiveRow& r) {
    std::vector<std::string> row = {(r.is_static ? "" : "controller ") + r.name};
    for (size_t i = 0; i < c.phases.size(); ++i) {
      row.push_back(Num(r.reward[i]));
      row.push_back(Num(r.p99_ms[i], 1));
    }
    row.insert(row.end(), {Num(r.mean_reward), Num(r.mean_phase_reward)});
    if (r.is_static) {
      row.insert(row.end(), {Ratio(r.mean_reward && c.oracle_mean && *c.oracle_mean > 0
                                       ? Figure(*r.mean_reward / *c.oracle_mean)
                                       : std::nullopt),
                             "", "", ""});
    } else {
      row.insert(row.end(), {Ratio(r.vs_oracle), Ratio(r.vs_best_static), Ratio(r.phase_vs_oracle),
                             Ratio(r.phase_vs_best_static)});
    }
    row.insert(row.end(), {CountShortest(r.lost), std::to_string(r.runs)});
    return row;
  };
  for (const AdaptiveRow& r : c.statics) rows.push_back({row_of(r), r.name == c.best_static});
  std::vector<std::string> oracle = {"oracle (best static per phase)"};
  for (size_t i = 0; i < c.phases.size(); ++i) {
    oracle.push_back(Num(c.oracle_reward[i]));
    oracle.push_back(Num(c.oracle_p99_ms[i], 1));
  }
  oracle.insert(oracle.end(), {Num(c.oracle_mean), Num(c.oracle_phase_mean), "1.000", "", "", "", "", ""});
  rows.push_back({std::move(oracle), false});
  std::vector<std::string> pick = {"  its pick"};
  for (size_t i = 0; i < c.phases.size(); ++i) {
    pick.push_back(c.oracle_pick[i].empty() ? kNa : c.oracle_pick[i]);
    pick.push_back(fmt::format("{} good", c.good[i].size()));
  }
  pick.resize(headers.size());
  rows.push_back({std::move(pick), false});
  for (const AdaptiveRow& r : c.controllers) rows.push_back({row_of(r), false});
  Table t;
  t.css_class = "summary adaptive";
  for (size_t j = 0; j < headers.size(); ++j) t.columns.push_back({headers[j], j != 0, ""});
  t.rows = std::move(rows);
  return t;
}

// Time to adapt after each shift, per controller and phase; switches.
Table AdaptTable(const AdaptiveComparison& c) {
  std::vector<std::string> headers = {"Controller"};
  Table t;
  t.css_class = "adaptive-shifts";
  for (const auto& p : c.phases) headers.push_back(p);
  headers.insert(headers.end(), {"Shifts (≤ 5 s)", "Switches"});
  for (const AdaptiveRow& r : c.controllers) {
    std::vector<std::string> row = {r.name};
    for (const PhaseAdaptation& a : r.adaptation) {
      std::string cell = a.adapt_s ? fmt::format("{:.1f} s", *a.adapt_s) : "never";
      if (a.max_adapt_s && a.runs > 1) cell += fmt::format(" ({:.1f})", *a.max_adapt_s);
      if (a.never > 0 && a.adapt_s) cell += fmt::format(", never in {} of {}", a.never, a.runs);
      cell += fmt::format("; good at 5 s: {}/{}", a.good_at_target, a.runs);
      row.push_back(cell);
    }
    row.push_back(r.shifts_met ? Met(*r.shifts_met) : "no shift");
    row.push_back(Num(r.switches, 0));
    t.rows.push_back({std::move(row), false});
  }
  for (const auto& h : headers) t.columns.push_back({h, false, ""});
  return t;
}

// Per-second reward, the median over a controller's runs, against the
// oracle's level in each phase.
LineChartSpec RewardChart(const Study& study, const AdaptiveComparison& c) {
  LineChartSpec spec;
  spec.title = "Reward per second: controllers against the oracle";
  spec.x.label = "seconds since measuring began";
  spec.x.scale = Scale::kLinear;
  spec.x.from_zero = true;
  spec.y.label = "reward: ok/s / (1 + p99 ms)";
  spec.y.scale = Scale::kLinear;
  spec.y.from_zero = true;
  XYSeries oracle;
  oracle.name = "oracle (best static per phase)";
  oracle.dashed = true;
  for (size_t i = 0; i < c.phases.size(); ++i) {
    if (!c.oracle_reward[i]) continue;
    oracle.points.emplace_back(c.phase_start_s[i], *c.oracle_reward[i]);
    oracle.points.emplace_back(c.phase_start_s[i] + c.phase_duration_s[i], *c.oracle_reward[i]);
  }
  spec.series.push_back(std::move(oracle));
  for (const AdaptiveRow& r : c.controllers) {
    std::map<double, std::vector<double>> by_second;
    for (const AdaptiveRun& run : study.adaptive_runs) {
      if (run.is_static || run.name != r.name) continue;
      for (const AdaptiveSecond& s : run.seconds) {
        if (s.phase) by_second[s.t_s].push_back(s.reward);
      }
    }
    XYSeries line;
    line.name = r.name;
    for (auto& [t, values] : by_second) {
      if (Figure m = MedianOf(values)) line.points.emplace_back(t + 0.5, *m);
    }
    spec.series.push_back(std::move(line));
  }
  return spec;
}

std::string LostStatement(const AdaptiveComparison& c) {
  std::vector<std::string> parts;
  for (const auto* rows : {&c.statics, &c.controllers}) {
    for (const AdaptiveRow& r : *rows) {
      if (r.lost > 0) {
        parts.push_back(fmt::format("{}{} {:g} of {:g} sent ({:g} error answers)",
                                    r.is_static ? "" : "controller ", r.name, r.lost, r.sent, r.errors));
      }
    }
  }
  if (parts.empty()) return "Lost requests: none (target: none).";
  std::string s = "Lost requests (target: none): ";
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? "; " : "") + parts[i];
  return s + ".";
}

}  // namespace

std::string AdaptiveTargetStatement(const AdaptiveComparison& c, const AdaptiveRow& r) {
  std::string s =
      fmt::format("{}: mean reward {} ({} of the oracle's {}: target ≥ {:g}, {}", r.name, Num(r.mean_reward),
                  Ratio(r.vs_oracle), Num(c.oracle_mean), kAdaptiveTargetVsOracle,
                  Met(r.vs_oracle && *r.vs_oracle >= kAdaptiveTargetVsOracle));
  if (r.runs > 1) s += fmt::format("; per repetition {}", Range(r.rep_vs_oracle_min, r.rep_vs_oracle_max));
  s += fmt::format(") and {} of the best static {}'s {} (target > 1, {}", Ratio(r.vs_best_static),
                   c.best_static.empty() ? kNa : c.best_static, Num(c.best_mean),
                   Met(r.vs_best_static && *r.vs_best_static > 1));
  if (r.runs > 1) s += fmt::format("; per repetition {}", Range(r.rep_vs_best_min, r.rep_vs_best_max));
  s += fmt::format("); phase reward {} of the oracle's ({}) and {} of the best static {}'s ({})",
                   Ratio(r.phase_vs_oracle),
                   Met(r.phase_vs_oracle && *r.phase_vs_oracle >= kAdaptiveTargetVsOracle),
                   Ratio(r.phase_vs_best_static), c.best_static_phase.empty() ? kNa : c.best_static_phase,
                   Met(r.phase_vs_best_static && *r.phase_vs_best_static > 1));
  if (r.shifts_met) {
    s += fmt::format("; a good candidate within {:g} s of every shift: {}", kAdaptiveTargetAdaptS,
                     Met(*r.shifts_met));
  }
  s += fmt::format("; {} switches (median per run).", Num(r.switches, 0));
  return s;
}

AdaptiveSections AdaptiveSectionsOf(const Study& study, Document& doc) {
  AdaptiveSections out;
  if (study.adaptive_records == 0) return out;
  const AdaptiveComparison c = CompareAdaptive(study.adaptive_runs);
  Section head{2, "adaptive", "Adaptive controller", "Adaptive controller"};
  head.Note(kNote);
  if (c.phases.empty() || c.statics.empty()) {
    head.Text(c.phases.empty() ? "No adaptive run succeeded."
                               : "No static run succeeded: nothing to compare with.");
    out.sections.push_back(std::move(head));
    return out;
  }
  std::string phases_text = fmt::format("{} phases:", c.phases.size());
  for (size_t i = 0; i < c.phases.size(); ++i) {
    phases_text += fmt::format("{} {} ({:g} s)", i ? "," : "", c.phases[i], c.phase_duration_s[i]);
  }
  phases_text += fmt::format(
      ". Best static configuration: {} (mean reward {}, {} of the oracle's); by phase "
      "reward: {}.",
      c.best_static, Num(c.best_mean),
      Ratio(c.best_mean && c.oracle_mean && *c.oracle_mean > 0 ? Figure(*c.best_mean / *c.oracle_mean)
                                                               : std::nullopt),
      c.best_static_phase);
  head.Text(phases_text);
  out.sections.push_back(std::move(head));

  out.sections.push_back(
      Section{3, "adaptive-phases", "Reward and p99 per phase"}
          .Add(PhaseTable(c))
          .Note("Bold: the best static configuration. vs oracle / vs best static: the mean over the phases "
                "against "
                "the oracle's and the best static configuration's. Per repetition (in the targets below): a "
                "controller's run against the oracle and the best static configuration of the same "
                "repetition's "
                "static runs."));

  for (const AdaptiveRow& r : c.controllers) out.statements.push_back(AdaptiveTargetStatement(c, r));
  out.statements.push_back(LostStatement(c));
  for (const AdaptiveRow& r : c.controllers) {
    // What the Python evaluation flagged too: a stall taken for idleness, a
    // switch that held the loop up.
    if (r.idle_windows_under_load > 0) {
      out.statements.push_back(fmt::format("Note: {} logged {} window(s) 'idle' while the load ran.", r.name,
                                           r.idle_windows_under_load));
    }
    if (r.longest_step_s > 0.2) {
      out.statements.push_back(
          fmt::format("Note: a step (switch) of {} took up to {:.2f} s.", r.name, r.longest_step_s));
    }
  }
  for (const std::string& n : c.notes) out.statements.push_back(n);
  out.sections.push_back(Section{3, "adaptive-targets", "Targets"}.Statements(out.statements));

  if (!c.controllers.empty()) {
    const LineChartSpec chart = RewardChart(study, c);
    ChartFile file;
    file.file_name = "adaptive-reward-over-time.svg";
    file.title = chart.title;
    file.workload = "adaptive";
    file.svg = RenderLineChart(chart, SvgMode::kStandalone);
    file.svg_inline = RenderLineChart(chart, SvgMode::kInline);
    out.sections.push_back(Section{3, "adaptive-shifts", "Time to adapt after each shift"}
                               .Note(kAdaptNote)
                               .Add(AdaptTable(c))
                               .Add(doc.AddChart(std::move(file), "median per second over the repetitions")));
  }
  return out;
}

}  // namespace switchyard::report
