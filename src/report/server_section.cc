#include "report/server_section.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <utility>

#include "report/crossover.h"
#include "report/format.h"
#include "report/policy_statements.h"
#include "report/workload_charts.h"

namespace switchyard::report {
namespace {

// The page's summary note says a little more than the Markdown's, which has
// always been terser.
constexpr const char* kSummaryNoteHtml =
    "Each figure is the median across a cell's successful repetitions. Latency is the client's (open loop: "
    "from the scheduled send time). Bold: the best configuration at that load point. n/a: not measured.";
constexpr const char* kSummaryNoteMarkdown =
    "Each figure is the median across a cell's successful repetitions; bold: the best configuration at that "
    "load point; n/a: not measured.";
constexpr const char* kQueueNote =
    "Queue: the server's own figure (server.latency_us.queue), the time admitted requests waited for a "
    "worker; mean and p99 over the measured window.";
constexpr const char* kGilNote =
    "GIL held / GIL wait (Python models): the server's own figures (server.python), the time requests held "
    "the GIL and waited for it, each over their service time, over the window (docs/python-models.md says "
    "what is counted). Held near 1 with processes winning: the GIL serialises threads; held near 0: threads "
    "lose nothing to it.";
constexpr const char* kEntryNote =
    "Per mix entry (where a mix has several): goodput counts the ok answers, and the latency percentiles "
    "are those of the ok answers only, as the client saw them; 503 / 504 (where any): answers refused "
    "(queue full, predicted wait too long) / expired while queued, per measured window.";
constexpr const char* kClientNote =
    "Per client (where a mix names several): goodput and ok p99 as per entry; Jain's index of the named "
    "clients' goodputs is 1 when every client got the same, 1/n when one got everything.";
constexpr const char* kPolicyNote =
    "Each policy's mean queue wait against fifo's (without fifo: the first policy's) in the same "
    "configuration and load point (medians "
    "across repetitions); where the mix has several entries, also the p99 latency of the slowest entry "
    "(the one with the highest ok p50 under fifo).";

// A file name piece from a user-chosen name: [a-z0-9-], never empty.
std::string Slug(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 0x80) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty()) out = "workload";
  if (out.size() > 60) out.resize(60);
  return out;
}

std::string LoadHeader(const Workload& w) { return fmt::format("Load ({})", LoadUnit(w.mode)); }

// ---- the summary table ------------------------------------------------------------

// Which optional columns the summary has: each only where some cell has it.
struct SummaryExtras {
  bool queue = false;  // the server's queue wait
  bool gil = false;    // Python models' GIL shares
};

// The columns.
std::vector<Column> SummaryColumns(const Workload& w, SummaryExtras extras) {
  std::vector<Column> c = {
      {LoadHeader(w), true, ""},     {"Executor", false, ""}, {"Throughput (req/s)", true, ""},
      {"Goodput (req/s)", true, ""}, {"p50 (ms)", true, ""},  {"p95 (ms)", true, ""},
      {"p99 (ms)", true, ""}};
  if (extras.queue) c.insert(c.end(), {{"Queue mean (ms)", true, ""}, {"Queue p99 (ms)", true, ""}});
  if (extras.gil) c.insert(c.end(), {{"GIL held", true, ""}, {"GIL wait", true, ""}});
  c.insert(c.end(), {{"Errors", true, ""},
                     {"CPU s/request", true, ""},
                     {"Ctx switches/request", true, ""},
                     {"PSS (MiB)", true, ""},
                     {"Repetitions", true, ""}});
  return c;
}

std::vector<std::string> SummaryCells(const Cell& c, SummaryExtras extras) {
  const CellFigures& m = c.median;
  std::vector<std::string> row = {FormatLoadValue(c.x),
                                  c.series,
                                  RateWithSeparators(m.throughput_rps),
                                  RateWithSeparators(m.goodput_rps),
                                  MillisFromMicros(m.p50_us),
                                  MillisFromMicros(m.p95_us),
                                  MillisFromMicros(m.p99_us)};
  if (extras.queue) row.insert(row.end(), {MillisFromMicros(m.queue_mean_us), MillisFromMicros(m.queue_p99_us)});
  if (extras.gil) row.insert(row.end(), {FixedDecimals(m.gil_held_share, 2), FixedDecimals(m.gil_wait_share, 2)});
  row.insert(row.end(), {CountWithSeparators(m.errors), ThreeSignificant(m.cpu_s_per_request),
                         ThreeSignificant(m.ctxt_switches_per_request), MebibytesOneDecimal(m.pss_bytes),
                         std::to_string(c.repetitions)});
  return row;
}

// A band of rows per load point; bold: the best configuration there.
Table SummaryTable(const Workload& w, const std::vector<BestAt>& best, SummaryExtras extras) {
  Table t;
  t.css_class = "summary";
  t.columns = SummaryColumns(w, extras);
  t.key_column = 1;
  for (size_t li = 0; li < w.load_points.size(); ++li) {
    size_t band = 0;
    for (const auto& s : w.series) {
      const Cell* c = w.Find(s, w.load_points[li]);
      if (!c) continue;
      t.rows.push_back({SummaryCells(*c, extras), best[li].series == s});
      ++band;
    }
    t.bands.push_back(band);
  }
  return t;
}

SummaryExtras ExtrasOf(const Study& s) {
  SummaryExtras e;
  for (const auto& w : s.workloads) {
    for (const auto& c : w.cells) {
      e.queue = e.queue || c.median.queue_mean_us || c.median.queue_p99_us;
      e.gil = e.gil || c.median.gil_held_share || c.median.gil_wait_share;
    }
  }
  return e;
}

// ---- per entry, per client ------------------------------------------------------

// Names across the cells of `w`, in order of first appearance.
std::vector<std::string> GroupNames(const Workload& w, std::vector<GroupFigures> Cell::*groups,
                                    bool named_only) {
  std::vector<std::string> names;
  for (const auto& c : w.cells) {
    for (const auto& g : c.*groups) {
      if (named_only && g.name.empty()) continue;
      if (std::find(names.begin(), names.end(), g.name) == names.end()) names.push_back(g.name);
    }
  }
  return names;
}

// Cells in table order: by load point, then configuration.
template <typename F>
void ForEachCell(const Workload& w, F f) {
  for (double x : w.load_points) {
    for (const auto& s : w.series) {
      if (const Cell* c = w.Find(s, x)) f(*c);
    }
  }
}

// The columns of a table with a group of `per_group` columns per name:
// load point and configuration first, `tail` last.
std::vector<Column> GroupedColumns(const Workload& w, const std::vector<std::string>& names,
                                   const std::vector<std::string>& per_group,
                                   const std::vector<std::string>& tail) {
  std::vector<Column> columns = {{LoadHeader(w), true, ""}, {"Executor", false, ""}};
  for (const auto& name : names) {
    for (const auto& title : per_group) columns.push_back({title, true, name.empty() ? "(no client)" : name});
  }
  for (const auto& title : tail) columns.push_back({title, true, ""});
  return columns;
}

// Per mix entry: goodput and ok latency, where a cell's mix has more than one
// entry; and the 503 and 504 answers where any entry had one.
std::optional<Table> EntryTable(const Workload& w) {
  bool several = false;
  bool refusals = false;
  for (const auto& c : w.cells) {
    several = several || c.entries.size() > 1;
    for (const auto& g : c.entries) {
      refusals = refusals || g.rejected_503.value_or(0) > 0 || g.expired_504.value_or(0) > 0;
    }
  }
  if (!several) return std::nullopt;
  const std::vector<std::string> names = GroupNames(w, &Cell::entries, false);
  std::vector<std::string> per_group = {"goodput (req/s)", "ok p50 (ms)", "ok p99 (ms)"};
  if (refusals) per_group.push_back("503 / 504");
  Table t;
  t.css_class = "entries";
  t.columns = GroupedColumns(w, names, per_group, {});
  ForEachCell(w, [&](const Cell& c) {
    std::vector<std::string> row = {FormatLoadValue(c.x), c.series};
    for (const auto& name : names) {
      const GroupFigures* g = FindGroup(c.entries, name);
      row.push_back(g ? RateWithSeparators(g->goodput_rps) : kNa);
      row.push_back(g ? MillisFromMicros(g->ok_p50_us) : kNa);
      row.push_back(g ? MillisFromMicros(g->ok_p99_us) : kNa);
      if (refusals) {
        row.push_back(g ? CountWithSeparators(g->rejected_503) + " / " + CountWithSeparators(g->expired_504)
                        : kNa);
      }
    }
    t.rows.push_back({std::move(row), false});
  });
  return t;
}

// Per named client: goodput and ok p99, and Jain's index, where a cell has
// two named clients.
std::optional<Table> ClientTable(const Workload& w) {
  bool several = false;
  for (const auto& c : w.cells) several = several || c.NamedClients() >= 2;
  if (!several) return std::nullopt;
  const std::vector<std::string> names = GroupNames(w, &Cell::clients, true);
  Table t;
  t.css_class = "clients";
  t.columns = GroupedColumns(w, names, {"goodput (req/s)", "ok p99 (ms)"}, {"Jain's index"});
  ForEachCell(w, [&](const Cell& c) {
    std::vector<std::string> row = {FormatLoadValue(c.x), c.series};
    for (const auto& name : names) {
      const GroupFigures* g = FindGroup(c.clients, name);
      row.push_back(g ? RateWithSeparators(g->goodput_rps) : kNa);
      row.push_back(g ? MillisFromMicros(g->ok_p99_us) : kNa);
    }
    row.push_back(FixedDecimals(c.median.jain_index, 3));
    t.rows.push_back({std::move(row), false});
  });
  return t;
}

// ---- the configuration of each cell --------------------------------------------

// Ok cells by workload, then cells that only failed (pipeline and adaptive
// runs have their own sections' tables).
Table ConfigurationTable(const Study& s) {
  Table t;
  t.css_class = "config";
  for (const char* title : {"Cell", "Workload", "Mix", "Load", "Executor", "Workers", "Policy", "Start",
                            "IPC", "Offload", "I/O threads", "Intra-op threads", "Successful repetitions"}) {
    t.columns.push_back({title, false, ""});
  }
  t.blank_line_after_in_markdown = false;
  auto str = [](const std::string& v) { return v.empty() ? std::string(kNa) : v; };
  auto row = [&](const std::string& cell, const std::string& workload, const std::string& mix,
                 const std::string& load, const ServerConfig& c, const std::string& reps) {
    t.rows.push_back({{cell, str(workload), str(mix), load, str(c.executor), IntegerOrNa(c.workers),
                       str(c.policy), str(c.start), str(c.ipc), IntegerOrNa(c.offload),
                       IntegerOrNa(c.io_threads), IntegerOrNa(c.intra_op_threads), reps},
                      false});
  };
  std::set<std::string> seen;
  for (const auto& w : s.workloads) {
    for (const auto& c : w.cells) {
      seen.insert(c.id);
      row(c.id, w.name, c.mix, FormatLoadPoint(c.x, c.mode), c.config, std::to_string(c.repetitions));
    }
  }
  for (const auto& f : s.failed) {
    if (f.pipeline || f.adaptive || !seen.insert(f.cell).second) continue;
    std::string load = f.load_x ? FormatLoadPoint(*f.load_x, f.load_mode.value_or(LoadMode::kClosed)) : kNa;
    row(f.cell, f.workload, f.mix, load, f.config, "0");
  }
  return t;
}

// ---- the sections ------------------------------------------------------------------

// What each workload contributes.
struct WorkloadParts {
  std::vector<Chart> charts;
  std::vector<BestAt> best;
  std::optional<Table> entries, clients;
};

std::vector<Section> SummarySections(const Study& study, const std::vector<WorkloadParts>& parts) {
  const SummaryExtras extras = ExtrasOf(study);
  bool entries = false, clients = false;
  for (const auto& p : parts) {
    entries = entries || p.entries;
    clients = clients || p.clients;
  }
  std::vector<Section> out;
  Section summary{2, "summary", "Summary", "Summary"};
  summary.LiteralHtmlNote(kSummaryNoteHtml).Note(kSummaryNoteMarkdown, Formats::kMarkdownOnly);
  if (extras.queue) summary.Note(kQueueNote);
  if (extras.gil) summary.Note(kGilNote);
  if (entries) summary.Note(kEntryNote);
  if (clients) summary.Note(kClientNote);
  if (study.workloads.empty()) summary.Text("No cell ran successfully.");
  out.push_back(std::move(summary));
  for (size_t wi = 0; wi < study.workloads.size(); ++wi) {
    const Workload& w = study.workloads[wi];
    out.push_back(Section{3, "", w.name}.Add(SummaryTable(w, parts[wi].best, extras)));
    if (parts[wi].entries) out.push_back(Section{4, "", w.name + ": per mix entry"}.Add(*parts[wi].entries));
    if (parts[wi].clients) out.push_back(Section{4, "", w.name + ": per client"}.Add(*parts[wi].clients));
  }
  return out;
}

// The charts per workload; the page shows them after the summary (with a
// word when there are none), the Markdown summary after the statements.
std::vector<Section> ChartSections(const Study& study, const std::vector<WorkloadParts>& parts,
                                   Formats formats) {
  std::vector<Section> out;
  Section head{2, formats == Formats::kHtmlOnly ? "charts" : "", "Charts",
               formats == Formats::kHtmlOnly ? "Charts" : "", formats};
  if (study.workloads.empty()) head.Text("No charts: no cell ran successfully.", Formats::kHtmlOnly);
  out.push_back(std::move(head));
  for (size_t wi = 0; wi < study.workloads.size(); ++wi) {
    Section s{3, "", study.workloads[wi].name, "", formats};
    for (const Chart& c : parts[wi].charts) s.Add(c);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

ServerSections ServerSectionsOf(const Study& study, double tie_fraction, Document& doc) {
  ServerSections out;
  std::vector<WorkloadParts> parts;
  std::vector<std::string> policy_statements;
  std::set<std::string> slugs;
  for (const Workload& w : study.workloads) {
    WorkloadParts p;
    std::string slug = Slug(w.name);
    for (int n = 2; !slugs.insert(slug).second; ++n) slug = Slug(w.name) + "-" + std::to_string(n);
    for (ChartFile& c : WorkloadCharts(w, slug)) p.charts.push_back(doc.AddChart(std::move(c)));
    p.best = BestPerLoadPoint(w, tie_fraction);
    out.crossover_statements.push_back(CrossoverStatement(w, p.best));
    p.entries = EntryTable(w);
    p.clients = ClientTable(w);
    for (auto& s : PolicyStatements(w)) policy_statements.push_back(std::move(s));
    parts.push_back(std::move(p));
  }

  for (Section& s : SummarySections(study, parts)) out.sections.push_back(std::move(s));
  for (Section& s : ChartSections(study, parts, Formats::kHtmlOnly)) out.sections.push_back(std::move(s));
  Section crossover{2, "crossover", "Crossover points", "Crossover points"};
  crossover.Note(fmt::format(
      "At each load point the best configuration has the highest goodput; goodputs within {:g}% of the "
      "highest are tied, and the tie goes to the lowest p99 latency.",
      tie_fraction * 100));
  if (out.crossover_statements.empty()) {
    crossover.Text("No workload has a successful cell.");
  } else {
    crossover.Statements(out.crossover_statements);
  }
  out.sections.push_back(std::move(crossover));
  if (!policy_statements.empty()) {
    out.sections.push_back(Section{2, "policies", "Scheduling policies", "Scheduling policies"}
                               .Note(kPolicyNote)
                               .Statements(std::move(policy_statements)));
  }
  for (Section& s : ChartSections(study, parts, Formats::kMarkdownOnly)) out.sections.push_back(std::move(s));

  out.configuration = Section{2, "configuration", "Configuration of each cell", "Configuration"};
  out.configuration.Add(ConfigurationTable(study));
  return out;
}

}  // namespace switchyard::report
