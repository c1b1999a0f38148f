#include "report/report.h"

#include <fmt/format.h>
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <system_error>

#include "report/adaptive_section.h"
#include "report/format.h"
#include "report/markdown.h"
#include "report/pipeline_section.h"
#include "report/svg_chart.h"

namespace switchyard::report {
namespace {

namespace fs = std::filesystem;

// ---- numbers ---------------------------------------------------------------

std::string WithThousands(double v) {
  std::string digits = fmt::format("{:.0f}", std::fabs(v));
  std::string out;
  int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[static_cast<size_t>(i)];
  }
  return (v < 0 && digits != "0" ? "-" : "") + out;
}

std::string Rate(const Figure& f) {
  if (!f) return kNa;
  if (std::fabs(*f) >= 100) return WithThousands(*f);
  return fmt::format("{:.1f}", *f);
}

std::string Millis(const Figure& us) {
  if (!us) return kNa;
  double ms = *us / 1000;
  if (ms < 1) return fmt::format("{:.3f}", ms);
  if (ms < 10) return fmt::format("{:.2f}", ms);
  if (ms < 100) return fmt::format("{:.1f}", ms);
  return WithThousands(ms);
}

std::string Count(const Figure& f) {
  if (!f) return kNa;
  if (*f == std::floor(*f)) return WithThousands(*f);
  return fmt::format("{:.1f}", *f);
}

std::string Sig3(const Figure& f) {
  if (!f) return kNa;
  if (*f == 0) return "0";
  return fmt::format("{:.3g}", *f);
}

std::string Mib(const Figure& bytes) {
  if (!bytes) return kNa;
  return fmt::format("{:.1f}", *bytes / (1024.0 * 1024.0));
}

std::optional<double> Scaled(const Figure& f, double factor) {
  if (!f) return std::nullopt;
  return *f * factor;
}

// ---- text escaping -----------------------------------------------------------

std::string Html(std::string_view s) { return EscapeXml(s); }

std::string Md(std::string_view s) { return EscapeMarkdown(s); }

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

// ---- the pieces of the report ------------------------------------------------

std::string MachineText(const Study& s) {
  if (!s.machine) return kNa;
  const results::Machine& m = *s.machine;
  const std::string cpu = m.cpu.value_or(""), kernel = m.kernel.value_or(""), host = m.hostname.value_or("");
  std::vector<std::string> parts;
  parts.push_back(m.cores ? fmt::format("{} cores", *m.cores) : std::string("cores n/a"));
  parts.push_back(cpu.empty() ? std::string("CPU n/a") : cpu);
  parts.push_back(kernel.empty() ? std::string("kernel n/a") : "kernel " + kernel);
  if (Figure memory = FigureOf(m.memory_gib)) parts.push_back(fmt::format("{:.1f} GiB memory", *memory));
  if (!host.empty()) parts.push_back("host " + host);
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  if (s.several_machines) out += " (the results come from more than one machine; this is the first)";
  return out;
}

std::string DateText(const Study& s) {
  if (s.first_started_at.empty()) return kNa;
  if (s.last_started_at.empty() || s.last_started_at == s.first_started_at) return s.first_started_at;
  return s.first_started_at + " to " + s.last_started_at;
}

std::string RecordsText(const Study& s) {
  return fmt::format(
      "{} records: {} successful runs, {} failed{}", s.records, s.ok_records, s.failed.size(),
      s.superseded_failures > 0
          ? fmt::format(" ({} earlier failures were re-run successfully)", s.superseded_failures)
          : "");
}

struct Column {
  std::string title;
  bool numeric;
};

std::string LoadHeader(const Workload& w) { return fmt::format("Load ({})", LoadUnit(w.mode)); }

// The summary table's columns; the server's queue wait only where some cell has it.
std::vector<Column> SummaryColumns(bool queue) {
  std::vector<Column> c = {{"Load", true},
                           {"Executor", false},
                           {"Throughput (req/s)", true},
                           {"Goodput (req/s)", true},
                           {"p50 (ms)", true},
                           {"p95 (ms)", true},
                           {"p99 (ms)", true}};
  if (queue) c.insert(c.end(), {{"Queue mean (ms)", true}, {"Queue p99 (ms)", true}});
  c.insert(c.end(), {{"Errors", true},
                     {"CPU s/request", true},
                     {"Ctx switches/request", true},
                     {"PSS (MiB)", true},
                     {"Repetitions", true}});
  return c;
}

std::vector<std::string> SummaryRow(const Cell& c, bool queue) {
  const CellFigures& m = c.median;
  std::vector<std::string> row = {FormatLoadValue(c.x), c.series,         Rate(m.throughput_rps),
                                  Rate(m.goodput_rps),  Millis(m.p50_us), Millis(m.p95_us),
                                  Millis(m.p99_us)};
  if (queue) row.insert(row.end(), {Millis(m.queue_mean_us), Millis(m.queue_p99_us)});
  row.insert(row.end(), {Count(m.errors), Sig3(m.cpu_s_per_request), Sig3(m.ctxt_switches_per_request),
                         Mib(m.pss_bytes), std::to_string(c.repetitions)});
  return row;
}

bool HasQueueFigures(const Study& s) {
  for (const auto& w : s.workloads) {
    for (const auto& c : w.cells) {
      if (c.median.queue_mean_us || c.median.queue_p99_us) return true;
    }
  }
  return false;
}

// ---- per entry, per client ---------------------------------------------------

// A table whose middle columns come in groups (one per entry or client): the
// page heads them with a spanning row, the Markdown names the group in each
// column's title.
struct GroupedTable {
  std::vector<std::string> lead;           // leading columns: load point, configuration
  std::vector<std::string> groups;         // entry labels or client ids
  std::vector<std::string> group_columns;  // the columns of each group
  std::vector<std::string> tail;           // trailing columns
  std::vector<std::vector<std::string>> rows;
};

const GroupFigures* FindGroup(const std::vector<GroupFigures>& v, const std::string& name) {
  for (const auto& g : v) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

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

// Per mix entry: goodput and ok latency, where a cell's mix has more than one
// entry; and the 503 and 504 answers where any entry had one.
std::optional<GroupedTable> EntryTable(const Workload& w) {
  bool several = false;
  bool refusals = false;
  for (const auto& c : w.cells) {
    several = several || c.entries.size() > 1;
    for (const auto& g : c.entries) {
      refusals = refusals || g.rejected_503.value_or(0) > 0 || g.expired_504.value_or(0) > 0;
    }
  }
  if (!several) return std::nullopt;
  GroupedTable t;
  t.lead = {LoadHeader(w), "Executor"};
  t.groups = GroupNames(w, &Cell::entries, false);
  t.group_columns = {"goodput (req/s)", "ok p50 (ms)", "ok p99 (ms)"};
  if (refusals) t.group_columns.push_back("503 / 504");
  ForEachCell(w, [&](const Cell& c) {
    std::vector<std::string> row = {FormatLoadValue(c.x), c.series};
    for (const auto& name : t.groups) {
      const GroupFigures* g = FindGroup(c.entries, name);
      row.push_back(g ? Rate(g->goodput_rps) : kNa);
      row.push_back(g ? Millis(g->ok_p50_us) : kNa);
      row.push_back(g ? Millis(g->ok_p99_us) : kNa);
      if (refusals) row.push_back(g ? Count(g->rejected_503) + " / " + Count(g->expired_504) : kNa);
    }
    t.rows.push_back(std::move(row));
  });
  return t;
}

std::string Jain(const Figure& f) { return f ? fmt::format("{:.3f}", *f) : std::string(kNa); }

// Per named client: goodput and ok p99, and Jain's index, where a cell has two named clients.
std::optional<GroupedTable> ClientTable(const Workload& w) {
  bool several = false;
  for (const auto& c : w.cells) several = several || c.NamedClients() >= 2;
  if (!several) return std::nullopt;
  GroupedTable t;
  t.lead = {LoadHeader(w), "Executor"};
  t.groups = GroupNames(w, &Cell::clients, true);
  t.group_columns = {"goodput (req/s)", "ok p99 (ms)"};
  t.tail = {"Jain's index"};
  ForEachCell(w, [&](const Cell& c) {
    std::vector<std::string> row = {FormatLoadValue(c.x), c.series};
    for (const auto& name : t.groups) {
      const GroupFigures* g = FindGroup(c.clients, name);
      row.push_back(g ? Rate(g->goodput_rps) : kNa);
      row.push_back(g ? Millis(g->ok_p99_us) : kNa);
    }
    row.push_back(Jain(c.median.jain_index));
    t.rows.push_back(std::move(row));
  });
  return t;
}

// ---- scheduling policies -----------------------------------------------------

// "−40%", "+60%", "±0%"; empty without a positive baseline.
std::string PercentChange(const Figure& v, const Figure& base) {
  if (!v || !base || *base <= 0) return {};
  long pct = std::lround((*v - *base) / *base * 100);
  if (pct == 0) return "±0%";
  return fmt::format("{}{}%", pct < 0 ? "\u2212" : "+", std::labs(pct));
}

std::string MsWithChange(const Figure& v, const Figure& base) {
  std::string pct = PercentChange(v, base);
  return pct.empty() ? "" : " (" + pct + ")";
}

std::string MsText(const Figure& us) { return us ? Millis(us) + " ms" : std::string(kNa); }

// Where a workload's cells differ in policy: per configuration apart from the
// policy (worker count, executor, ...) and load point, each policy's mean
// queue wait against fifo's (or, without fifo, the first policy's), and,
// when the mix has several entries, the p99 latency of the slowest entry
// (the highest ok p50 under the baseline), e.g.
//   "mixed, 2 workers: sjf mean queue wait 3.10 ms vs fifo 5.20 ms (−40%), slow entry p99 latency
//    48.0 ms vs 30.0 ms (+60%); mlfq mean queue wait ..."
std::vector<std::string> PolicyStatements(const Workload& w) {
  std::vector<std::string> policies;
  std::set<std::string> executors;
  for (const auto& c : w.cells) {
    if (std::find(policies.begin(), policies.end(), c.config.policy) == policies.end()) {
      policies.push_back(c.config.policy);
    }
    executors.insert(c.config.executor);
  }
  if (policies.size() < 2) return {};
  std::string base_policy =
      std::find(policies.begin(), policies.end(), "fifo") != policies.end() ? "fifo" : policies[0];
  // Groups: configurations that differ only in the policy, in series order.
  auto without_policy = [](ServerConfig c) {
    c.policy.clear();
    return c;
  };
  std::vector<ServerConfig> groups;
  for (const auto& s : w.series) {
    for (const auto& c : w.cells) {
      if (c.series != s) continue;
      ServerConfig g = without_policy(c.config);
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
      break;
    }
  }
  auto describe = [&](const ServerConfig& g) {
    std::string d = g.workers ? fmt::format("{} worker{}", *g.workers, *g.workers == 1 ? "" : "s") : "";
    if (executors.size() > 1 || d.empty()) d = g.executor + (d.empty() ? "" : " " + d);
    return d;
  };
  std::map<std::string, int> described;
  for (const auto& g : groups) ++described[describe(g)];

  std::vector<std::string> out;
  for (const auto& g : groups) {
    for (double x : w.load_points) {
      const Cell* base = nullptr;
      std::vector<const Cell*> others;
      for (const auto& s : w.series) {
        const Cell* c = w.Find(s, x);
        if (!c || without_policy(c->config) != g) continue;
        if (c->config.policy == base_policy && !base) {
          base = c;
        } else {
          others.push_back(c);
        }
      }
      if (!base || others.empty()) continue;
      std::string head = w.name + ", " + describe(g);
      if (described[describe(g)] > 1) head += " (" + base->series + ")";
      if (w.load_points.size() > 1) head += ", " + FormatLoadPoint(x, w.mode);
      // The slowest entry under the baseline.
      const GroupFigures* slow = nullptr;
      if (base->entries.size() > 1) {
        for (const auto& e : base->entries) {
          if (e.ok_p50_us && (!slow || *e.ok_p50_us > *slow->ok_p50_us)) slow = &e;
        }
      }
      std::string text = head + ":";
      for (size_t i = 0; i < others.size(); ++i) {
        const Cell* c = others[i];
        std::string policy = c->config.policy.empty() ? c->series : c->config.policy;
        text += fmt::format("{} {} mean queue wait {} vs {} {}{}", i ? ";" : "", policy,
                            MsText(c->median.queue_mean_us), base_policy, MsText(base->median.queue_mean_us),
                            MsWithChange(c->median.queue_mean_us, base->median.queue_mean_us));
        if (slow) {
          const GroupFigures* e = FindGroup(c->entries, slow->name);
          Figure p99 = e ? e->ok_p99_us : std::nullopt;
          text += fmt::format(", {} entry p99 latency {} vs {}{}", slow->name, MsText(p99),
                              MsText(slow->ok_p99_us), MsWithChange(p99, slow->ok_p99_us));
        }
      }
      out.push_back(std::move(text));
    }
  }
  return out;
}

// Charts of one workload.
std::vector<ChartFile> WorkloadCharts(const Workload& w, const std::string& slug) {
  std::vector<ChartFile> out;
  auto add = [&](const std::string& suffix, const std::string& title, auto render) {
    ChartFile f;
    f.file_name = slug + "-" + suffix + ".svg";
    f.title = title;
    f.workload = w.name;
    f.svg = render(SvgMode::kStandalone);
    f.svg_inline = render(SvgMode::kInline);
    out.push_back(std::move(f));
  };
  std::string load_label = fmt::format("offered load ({})", LoadUnit(w.mode));

  // 1. Throughput against p99, one point per load point in load order.
  LineChartSpec tp;
  tp.title = w.name + ": throughput against p99 latency";
  tp.x.label = "p99 latency (ms)";
  tp.y.label = "throughput (req/s)";
  tp.y.from_zero = true;
  for (size_t i = 0; i < w.series.size(); ++i) {
    XYSeries s;
    s.name = w.series[i];
    s.color = static_cast<int>(i);
    for (double x : w.load_points) {
      const Cell* c = w.Find(w.series[i], x);
      if (c && c->median.p99_us && c->median.throughput_rps) {
        s.points.emplace_back(*c->median.p99_us / 1000, *c->median.throughput_rps);
      }
    }
    tp.series.push_back(std::move(s));
  }
  add("throughput-vs-p99", tp.title, [&](SvgMode m) { return RenderLineChart(tp, m); });

  // 2. p50 and p99 against offered load.
  LineChartSpec lat;
  lat.title = w.name + ": p50 and p99 latency against offered load";
  lat.x.label = load_label;
  lat.x.from_zero = true;
  lat.y.label = "latency (ms)";
  lat.y.from_zero = true;
  for (size_t i = 0; i < w.series.size(); ++i) {
    for (bool p99 : {true, false}) {
      XYSeries s;
      s.name = w.series[i] + (p99 ? " p99" : " p50");
      s.color = static_cast<int>(i);
      s.dashed = !p99;
      for (double x : w.load_points) {
        const Cell* c = w.Find(w.series[i], x);
        const Figure* v = c ? (p99 ? &c->median.p99_us : &c->median.p50_us) : nullptr;
        if (v && *v) s.points.emplace_back(x, **v / 1000);
      }
      lat.series.push_back(std::move(s));
    }
  }
  add("latency-vs-load", lat.title, [&](SvgMode m) { return RenderLineChart(lat, m); });

  // 3, 4, 5: bars per load point, one bar per configuration.
  auto bars = [&](const std::string& suffix, const std::string& title, const std::string& y_label,
                  Figure CellFigures::*field, double factor) {
    BarChartSpec b;
    b.title = title;
    b.category_label = load_label;
    b.y.label = y_label;
    for (double x : w.load_points) b.categories.push_back(FormatLoadValue(x));
    for (size_t i = 0; i < w.series.size(); ++i) {
      BarSeries s;
      s.name = w.series[i];
      s.color = static_cast<int>(i);
      for (double x : w.load_points) {
        const Cell* c = w.Find(w.series[i], x);
        s.values.push_back(c ? Scaled(c->median.*field, factor) : std::nullopt);
      }
      b.series.push_back(std::move(s));
    }
    add(suffix, title, [&](SvgMode m) { return RenderBarChart(b, m); });
  };
  bars("cpu-per-request", w.name + ": CPU time per request", "CPU time per request (ms)",
       &CellFigures::cpu_s_per_request, 1000.0);
  bars("ctxsw-per-request", w.name + ": context switches per request", "context switches per request",
       &CellFigures::ctxt_switches_per_request, 1.0);
  bars("pss", w.name + ": PSS of the server's process tree", "PSS (MiB)", &CellFigures::pss_bytes,
       1.0 / (1024.0 * 1024.0));

  // 6, 7: where the cells differ in worker count, throughput and p99 against
  // it: a series per configuration apart from the workers (and per load point
  // when there are several; the lower ones dashed).
  std::set<int64_t> worker_counts;
  std::set<std::string> executors;
  for (const auto& c : w.cells) {
    if (c.config.workers) worker_counts.insert(*c.config.workers);
    executors.insert(c.config.executor);
  }
  if (worker_counts.size() > 1) {
    struct Line {
      ServerConfig config;  // without the workers
      double x;
      std::string name;
      std::vector<const Cell*> cells;
    };
    std::vector<Line> lines;
    std::vector<ServerConfig> configs;  // distinct, for colours
    for (double x : w.load_points) {
      for (const auto& s : w.series) {
        const Cell* c = w.Find(s, x);
        if (!c || !c->config.workers) continue;
        ServerConfig key = c->config;
        key.workers.reset();
        if (std::find(configs.begin(), configs.end(), key) == configs.end()) configs.push_back(key);
        auto it = std::find_if(lines.begin(), lines.end(),
                               [&](const Line& l) { return l.config == key && l.x == x; });
        if (it == lines.end()) {
          // The series label without " wN" (and without the executor when there is one).
          std::string name = c->series;
          std::string token = fmt::format(" w{}", *c->config.workers);
          if (size_t p = name.find(token);
              p != std::string::npos && (p + token.size() == name.size() || name[p + token.size()] == ' ')) {
            name.erase(p, token.size());
          }
          if (executors.size() == 1 && name.rfind(c->config.executor + " ", 0) == 0) {
            name.erase(0, c->config.executor.size() + 1);
          }
          if (w.load_points.size() > 1) name += " @ " + FormatLoadPoint(x, w.mode);
          lines.push_back({key, x, name, {}});
          it = lines.end() - 1;
        }
        it->cells.push_back(c);
      }
    }
    auto by_workers = [&](const std::string& title, const std::string& y_label, auto value) {
      LineChartSpec spec;
      spec.title = title;
      spec.x.label = "workers";
      spec.x.scale = Scale::kLinear;
      spec.x.from_zero = true;
      spec.x.whole_numbers = true;
      spec.y.label = y_label;
      spec.y.from_zero = true;
      for (auto& l : lines) {
        std::stable_sort(l.cells.begin(), l.cells.end(), [](const Cell* a, const Cell* b) {
          return *a->config.workers < *b->config.workers;
        });
        XYSeries s;
        s.name = l.name;
        s.color = static_cast<int>(std::find(configs.begin(), configs.end(), l.config) - configs.begin());
        s.dashed = l.x != w.load_points.back();
        for (const Cell* c : l.cells) {
          if (Figure v = value(*c)) s.points.emplace_back(static_cast<double>(*c->config.workers), *v);
        }
        spec.series.push_back(std::move(s));
      }
      return spec;
    };
    LineChartSpec tw = by_workers(w.name + ": throughput against workers", "throughput (req/s)",
                                  [](const Cell& c) { return c.median.throughput_rps; });
    add("throughput-vs-workers", tw.title, [&](SvgMode m) { return RenderLineChart(tw, m); });
    LineChartSpec pw = by_workers(w.name + ": p99 latency against workers", "p99 latency (ms)",
                                  [](const Cell& c) { return Scaled(c.median.p99_us, 1e-3); });
    add("p99-vs-workers", pw.title, [&](SvgMode m) { return RenderLineChart(pw, m); });
  }
  return out;
}

// The configuration table's rows: ok cells by workload, then cells that only failed.
struct ConfigRow {
  std::string cell, workload, mix, load;
  ServerConfig config;
  std::string reps;
};

std::vector<ConfigRow> ConfigRows(const Study& s) {
  std::vector<ConfigRow> rows;
  std::set<std::string> seen;
  for (const auto& w : s.workloads) {
    for (const auto& c : w.cells) {
      seen.insert(c.id);
      rows.push_back(
          {c.id, w.name, c.mix, FormatLoadPoint(c.x, c.mode), c.config, std::to_string(c.repetitions)});
    }
  }
  for (const auto& f : s.failed) {
    // Pipeline cells: the pipeline section's table; adaptive runs: the adaptive section's.
    if (f.pipeline || f.adaptive || !seen.insert(f.cell).second) continue;
    std::string load = f.load_x ? FormatLoadPoint(*f.load_x, f.load_mode.value_or(LoadMode::kClosed)) : kNa;
    rows.push_back({f.cell, f.workload, f.mix, load, f.config, "0"});
  }
  return rows;
}

std::vector<std::string> ConfigCells(const ConfigRow& r) {
  auto str = [](const std::string& v) { return v.empty() ? std::string(kNa) : v; };
  auto num = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string(kNa); };
  return {r.cell,
          str(r.workload),
          str(r.mix),
          r.load,
          str(r.config.executor),
          num(r.config.workers),
          str(r.config.policy),
          str(r.config.start),
          str(r.config.ipc),
          num(r.config.offload),
          num(r.config.io_threads),
          num(r.config.intra_op_threads),
          r.reps};
}

const std::vector<std::string>& ConfigHeaders() {
  static const std::vector<std::string> kHeaders = {"Cell",
                                                    "Workload",
                                                    "Mix",
                                                    "Load",
                                                    "Executor",
                                                    "Workers",
                                                    "Policy",
                                                    "Start",
                                                    "IPC",
                                                    "Offload",
                                                    "I/O threads",
                                                    "Intra-op threads",
                                                    "Successful repetitions"};
  return kHeaders;
}

constexpr const char* kCss = R"css(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1100px;
       padding: 1.5em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 1.5em; }
.meta { color: #444; }
.meta dt { font-weight: 600; float: left; clear: left; width: 7em; }
.meta dd { margin-left: 7.5em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.6em; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { font-weight: 600; background: #eef6ee; }
tbody.group tr:first-child td { border-top: 2px solid #aaa; }
figure { margin: 1em 0 2em; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
.statements li { margin: 0.3em 0; }
.note { color: #555; font-size: 0.9em; }
.wrap { overflow-x: auto; }
footer { margin-top: 3em; color: #777; font-size: 0.85em; }
)css";

void HtmlTableHead(std::string& h, const std::vector<std::string>& headers) {
  h += "<thead><tr>";
  for (const auto& t : headers) h += "<th>" + Html(t) + "</th>";
  h += "</tr></thead>\n";
}

void MdTableHead(std::string& m, const std::vector<std::string>& headers, const std::vector<bool>& numeric) {
  m += "|";
  for (const auto& t : headers) m += " " + Md(t) + " |";
  m += "\n|";
  for (size_t i = 0; i < headers.size(); ++i) m += (i < numeric.size() && numeric[i]) ? " ---: |" : " --- |";
  m += "\n";
}

void MdRow(std::string& m, const std::vector<std::string>& cells, size_t bold_column = SIZE_MAX) {
  m += "|";
  for (size_t i = 0; i < cells.size(); ++i) {
    std::string v = Md(cells[i]);
    if (i == bold_column) v = "**" + v + "**";
    m += " " + v + " |";
  }
  m += "\n";
}

// What the page and the Markdown summary share.
struct Parts {
  std::string name;
  const std::vector<ChartFile>* charts = nullptr;
  std::vector<std::vector<size_t>> charts_of;  // per workload: indices into *charts
  std::vector<std::vector<BestAt>> best_of;    // per workload: the best configuration per load point
  std::vector<std::string> statements;         // crossover statements, per workload
  std::string crossover_rule;
  std::vector<ConfigRow> config_rows;
  bool queue_columns = false;                              // some cell has the server's queue wait
  std::vector<std::optional<GroupedTable>> entry_tables;   // per workload
  std::vector<std::optional<GroupedTable>> client_tables;  // per workload
  std::vector<std::string> policy_statements;              // every workload's, in order
  // The server sections (summary, charts, crossover points, configuration):
  // shown unless every record is a pipeline record.
  bool server_sections = true;
  PipelineSection pipeline;  // empty html/markdown without pipeline records
  AdaptiveSection adaptive;  // empty html/markdown without adaptive records
};

void HtmlGroupedTable(std::string& h, const GroupedTable& t, const char* css_class) {
  h += fmt::format("<div class=\"wrap\"><table class=\"{}\">\n<thead><tr>", css_class);
  const bool grouped = !t.groups.empty() && !t.group_columns.empty();
  const std::string span = grouped ? " rowspan=\"2\"" : "";
  for (const auto& c : t.lead) h += "<th" + span + ">" + Html(c) + "</th>";
  for (const auto& g : t.groups) {
    h += fmt::format("<th colspan=\"{}\">", t.group_columns.size()) + Html(g.empty() ? "(no client)" : g) +
         "</th>";
  }
  for (const auto& c : t.tail) h += "<th" + span + ">" + Html(c) + "</th>";
  h += "</tr>\n";
  if (grouped) {
    h += "<tr>";
    for (size_t i = 0; i < t.groups.size(); ++i) {
      for (const auto& c : t.group_columns) h += "<th>" + Html(c) + "</th>";
    }
    h += "</tr>\n";
  }
  h += "</thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    h += "<tr>";
    for (size_t i = 0; i < row.size(); ++i)
      h += (i == 1 ? "<td>" : "<td class=\"num\">") + Html(row[i]) + "</td>";
    h += "</tr>\n";
  }
  h += "</tbody></table></div>\n";
}

void MdGroupedTable(std::string& m, const GroupedTable& t) {
  std::vector<std::string> headers = t.lead;
  for (const auto& g : t.groups) {
    for (const auto& c : t.group_columns) headers.push_back((g.empty() ? "(no client)" : g) + " " + c);
  }
  headers.insert(headers.end(), t.tail.begin(), t.tail.end());
  std::vector<bool> numeric(headers.size(), true);
  if (numeric.size() > 1) numeric[1] = false;
  MdTableHead(m, headers, numeric);
  for (const auto& row : t.rows) MdRow(m, row);
  m += "\n";
}

std::vector<std::string> SummaryHeaders(bool queue) {
  std::vector<std::string> out;
  for (const auto& c : SummaryColumns(queue)) out.push_back(c.title);
  return out;
}

std::vector<bool> SummaryNumeric(bool queue) {
  std::vector<bool> out;
  for (const auto& c : SummaryColumns(queue)) out.push_back(c.numeric);
  return out;
}

const std::vector<std::string>& FailedHeaders() {
  static const std::vector<std::string> kHeaders = {"Cell",     "Repetition", "Workload",
                                                    "Executor", "Error",      "Line"};
  return kHeaders;
}

constexpr const char* kQueueNote =
    "Queue: the server's own figure (server.latency_us.queue), the time admitted requests waited for a "
    "worker; mean and p99 over the measured window.";
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

bool HasTable(const std::vector<std::optional<GroupedTable>>& tables) {
  return std::any_of(tables.begin(), tables.end(), [](const auto& t) { return t.has_value(); });
}

// The HTML page's server sections: summary tables, charts, crossover points
// and scheduling-policy statements.
void RenderHtmlServerSections(std::string& h, const Study& study, const Parts& p) {
  h += "<h2 id=\"summary\">Summary</h2>\n";
  h += "<p class=\"note\">Each figure is the median across a cell's successful repetitions. Latency is the "
       "client's (open loop: from the scheduled send time). Bold: the best configuration at that load point. "
       "n/a: not measured.</p>\n";
  if (p.queue_columns) h += "<p class=\"note\">" + Html(kQueueNote) + "</p>\n";
  if (HasTable(p.entry_tables)) h += "<p class=\"note\">" + Html(kEntryNote) + "</p>\n";
  if (HasTable(p.client_tables)) h += "<p class=\"note\">" + Html(kClientNote) + "</p>\n";
  if (study.workloads.empty()) h += "<p>No cell ran successfully.</p>\n";
  std::vector<std::string> headers = SummaryHeaders(p.queue_columns);
  std::vector<bool> numeric = SummaryNumeric(p.queue_columns);
  for (size_t wi = 0; wi < study.workloads.size(); ++wi) {
    const Workload& w = study.workloads[wi];
    headers[0] = LoadHeader(w);
    h += "<h3>" + Html(w.name) + "</h3>\n<div class=\"wrap\"><table class=\"summary\">\n";
    HtmlTableHead(h, headers);
    for (size_t li = 0; li < w.load_points.size(); ++li) {
      double x = w.load_points[li];
      h += "<tbody class=\"group\">\n";
      for (const auto& s : w.series) {
        const Cell* c = w.Find(s, x);
        if (!c) continue;
        bool best = p.best_of[wi][li].series == s;
        auto row = SummaryRow(*c, p.queue_columns);
        h += best ? "<tr class=\"best\">" : "<tr>";
        for (size_t i = 0; i < row.size(); ++i) {
          h += numeric[i] ? "<td class=\"num\">" : "<td>";
          h += Html(row[i]) + "</td>";
        }
        h += "</tr>\n";
      }
      h += "</tbody>\n";
    }
    h += "</table></div>\n";
    if (const auto& t = p.entry_tables[wi]) {
      h += "<h4>" + Html(w.name) + ": per mix entry</h4>\n";
      HtmlGroupedTable(h, *t, "entries");
    }
    if (const auto& t = p.client_tables[wi]) {
      h += "<h4>" + Html(w.name) + ": per client</h4>\n";
      HtmlGroupedTable(h, *t, "clients");
    }
  }

  h += "<h2 id=\"charts\">Charts</h2>\n";
  if (study.workloads.empty()) h += "<p>No charts: no cell ran successfully.</p>\n";
  for (size_t wi = 0; wi < study.workloads.size(); ++wi) {
    h += "<h3>" + Html(study.workloads[wi].name) + "</h3>\n";
    for (size_t ci : p.charts_of[wi]) {
      const ChartFile& c = p.charts->at(ci);
      h += "<figure>\n" + c.svg_inline + "<figcaption>" + Html(c.title) + " (<a href=\"charts/" +
           Html(c.file_name) + "\">charts/" + Html(c.file_name) + "</a>)</figcaption>\n</figure>\n";
    }
  }

  h += "<h2 id=\"crossover\">Crossover points</h2>\n<p class=\"note\">" + Html(p.crossover_rule) + "</p>\n";
  if (p.statements.empty()) {
    h += "<p>No workload has a successful cell.</p>\n";
  } else {
    h += "<ul class=\"statements\">\n";
    for (const auto& s : p.statements) h += "<li>" + Html(s) + "</li>\n";
    h += "</ul>\n";
  }

  if (!p.policy_statements.empty()) {
    h += "<h2 id=\"policies\">Scheduling policies</h2>\n<p class=\"note\">" + Html(kPolicyNote) + "</p>\n";
    h += "<ul class=\"statements\">\n";
    for (const auto& s : p.policy_statements) h += "<li>" + Html(s) + "</li>\n";
    h += "</ul>\n";
  }
}

std::string RenderHtml(const Study& study, const Parts& p, const ReportOptions& options) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "img-src data:\">\n";
  h += "<title>switchyard report: " + Html(p.name) + "</title>\n<style>" + kCss +
       "</style>\n</head>\n<body>\n";
  h += "<h1>switchyard report: " + Html(p.name) + "</h1>\n";
  h += "<dl class=\"meta\">\n";
  h += "<dt>Study</dt><dd>" + Html(p.name) + "</dd>\n";
  h += "<dt>Date</dt><dd>" + Html(DateText(study)) + "</dd>\n";
  h += "<dt>Machine</dt><dd>" + Html(MachineText(study)) + "</dd>\n";
  h += "<dt>Results</dt><dd>" + Html(RecordsText(study)) + "</dd>\n";
  for (const auto& w : study.warnings) h += "<dt>Warning</dt><dd>" + Html(w) + "</dd>\n";
  h += "</dl>\n";
  h += "<nav>";
  if (p.server_sections) {
    h += "<a href=\"#summary\">Summary</a><a href=\"#charts\">Charts</a><a href=\"#crossover\">Crossover "
         "points</a>";
  }
  if (!p.policy_statements.empty()) h += "<a href=\"#policies\">Scheduling policies</a>";
  if (!p.pipeline.html.empty()) h += "<a href=\"#pipeline\">Pipeline</a>";
  if (!p.adaptive.html.empty()) h += "<a href=\"#adaptive\">Adaptive controller</a>";
  h += "<a href=\"#failed\">Failed cells</a>";
  if (p.server_sections) h += "<a href=\"#configuration\">Configuration</a>";
  h += "</nav>\n";
  if (p.server_sections) RenderHtmlServerSections(h, study, p);
  h += p.pipeline.html;
  h += p.adaptive.html;

  h += "<h2 id=\"failed\">Failed cells</h2>\n";
  const std::vector<std::string>& failed_headers = FailedHeaders();
  if (study.failed.empty()) {
    h += "<p>None: every cell ran.</p>\n";
  } else {
    h += "<div class=\"wrap\"><table class=\"failed\">\n";
    HtmlTableHead(h, failed_headers);
    h += "<tbody>\n";
    for (const auto& f : study.failed) {
      h += "<tr><td>" + Html(f.cell) + "</td><td class=\"num\">" + std::to_string(f.repetition) +
           "</td><td>" + Html(f.workload.empty() ? kNa : f.workload) + "</td><td>" +
           Html(f.series.empty() ? kNa : f.series) + "</td><td>" + Html(f.error) + "</td><td class=\"num\">" +
           std::to_string(f.line) + "</td></tr>\n";
    }
    h += "</tbody></table></div>\n";
  }

  if (p.server_sections) {
    h += "<h2 id=\"configuration\">Configuration of each cell</h2>\n<div class=\"wrap\"><table "
         "class=\"config\">\n";
    HtmlTableHead(h, ConfigHeaders());
    h += "<tbody>\n";
    for (const auto& r : p.config_rows) {
      h += "<tr>";
      for (const auto& v : ConfigCells(r)) h += "<td>" + Html(v) + "</td>";
      h += "</tr>\n";
    }
    h += "</tbody></table></div>\n";
  }
  h += "<footer>Generated by <code>switchyard report</code>";
  if (!options.source.empty()) h += " from <code>" + Html(options.source) + "</code>";
  h += ".</footer>\n</body>\n</html>\n";
  return h;
}

// The Markdown summary's server sections: summary tables, crossover points,
// scheduling-policy statements and charts.
void RenderMarkdownServerSections(std::string& m, const Study& study, const Parts& p) {
  std::vector<std::string> headers = SummaryHeaders(p.queue_columns);
  std::vector<bool> numeric = SummaryNumeric(p.queue_columns);
  m += "## Summary\n\nEach figure is the median across a cell's successful repetitions; bold: the best "
       "configuration at that load point; n/a: not measured.\n\n";
  if (p.queue_columns) m += Md(kQueueNote) + "\n\n";
  if (HasTable(p.entry_tables)) m += Md(kEntryNote) + "\n\n";
  if (HasTable(p.client_tables)) m += Md(kClientNote) + "\n\n";
  if (study.workloads.empty()) m += "No cell ran successfully.\n\n";
  for (size_t wi = 0; wi < study.workloads.size(); ++wi) {
    const Workload& w = study.workloads[wi];
    headers[0] = LoadHeader(w);
    m += "### " + Md(w.name) + "\n\n";
    MdTableHead(m, headers, numeric);
    for (size_t li = 0; li < w.load_points.size(); ++li) {
      for (const auto& s : w.series) {
        const Cell* c = w.Find(s, w.load_points[li]);
        if (!c) continue;
        MdRow(m, SummaryRow(*c, p.queue_columns), p.best_of[wi][li].series == s ? 1 : SIZE_MAX);
      }
    }
    m += "\n";
    if (const auto& t = p.entry_tables[wi]) {
      m += "#### " + Md(w.name) + ": per mix entry\n\n";
      MdGroupedTable(m, *t);
    }
    if (const auto& t = p.client_tables[wi]) {
      m += "#### " + Md(w.name) + ": per client\n\n";
      MdGroupedTable(m, *t);
    }
  }
  m += "## Crossover points\n\n" + Md(p.crossover_rule) + "\n\n";
  for (const auto& s : p.statements) m += "- " + Md(s) + "\n";
  if (p.statements.empty()) m += "No workload has a successful cell.\n";
  if (!p.policy_statements.empty()) {
    m += "\n## Scheduling policies\n\n" + Md(kPolicyNote) + "\n\n";
    for (const auto& s : p.policy_statements) m += "- " + Md(s) + "\n";
  }
  m += "\n## Charts\n\n";
  for (size_t wi = 0; wi < study.workloads.size(); ++wi) {
    m += "### " + Md(study.workloads[wi].name) + "\n\n";
    for (size_t ci : p.charts_of[wi]) {
      const ChartFile& c = p.charts->at(ci);
      m += "![" + Md(c.title) + "](charts/" + c.file_name + ")\n\n";
    }
  }
}

std::string RenderMarkdown(const Study& study, const Parts& p) {
  std::string m;
  const std::vector<std::string>& failed_headers = FailedHeaders();
  m += "# switchyard report: " + Md(p.name) + "\n\n";
  m += "- Date: " + Md(DateText(study)) + "\n";
  m += "- Machine: " + Md(MachineText(study)) + "\n";
  m += "- Results: " + Md(RecordsText(study)) + "\n";
  for (const auto& w : study.warnings) m += "- Warning: " + Md(w) + "\n";
  m += "\n";
  if (p.server_sections) RenderMarkdownServerSections(m, study, p);
  m += p.pipeline.markdown;
  m += p.adaptive.markdown;
  m += "## Failed cells\n\n";
  if (study.failed.empty()) {
    m += "None: every cell ran.\n\n";
  } else {
    MdTableHead(m, failed_headers, {false, true, false, false, false, true});
    for (const auto& f : study.failed) {
      MdRow(m, {f.cell, std::to_string(f.repetition), f.workload.empty() ? kNa : f.workload,
                f.series.empty() ? kNa : f.series, f.error, std::to_string(f.line)});
    }
    m += "\n";
  }
  if (p.server_sections) {
    m += "## Configuration of each cell\n\n";
    MdTableHead(m, ConfigHeaders(), {});
    for (const auto& r : p.config_rows) MdRow(m, ConfigCells(r));
  }
  return m;
}

}  // namespace

RenderedReport RenderReport(const Study& study, const ReportOptions& options) {
  RenderedReport out;
  Parts p;
  p.name = study.name.empty() ? "(unnamed study)" : study.name;
  p.charts = &out.charts;
  p.charts_of.resize(study.workloads.size());
  std::set<std::string> slugs;
  for (size_t wi = 0; wi < study.workloads.size(); ++wi) {
    const Workload& w = study.workloads[wi];
    std::string slug = Slug(w.name);
    for (int n = 2; !slugs.insert(slug).second; ++n) slug = Slug(w.name) + "-" + std::to_string(n);
    for (auto& c : WorkloadCharts(w, slug)) {
      p.charts_of[wi].push_back(out.charts.size());
      out.charts.push_back(std::move(c));
    }
    p.best_of.push_back(BestPerLoadPoint(w, options.tie_fraction));
    p.statements.push_back(CrossoverStatement(w, p.best_of.back()));
    p.entry_tables.push_back(EntryTable(w));
    p.client_tables.push_back(ClientTable(w));
    for (auto& s : PolicyStatements(w)) p.policy_statements.push_back(std::move(s));
  }
  p.queue_columns = HasQueueFigures(study);
  p.crossover_rule = fmt::format(
      "At each load point the best configuration has the highest goodput; goodputs within {:g}% of the "
      "highest are tied, and the tie goes to the lowest p99 latency.",
      options.tie_fraction * 100);
  p.config_rows = ConfigRows(study);
  p.server_sections =
      study.server_records > 0 || (study.pipeline_records == 0 && study.adaptive_records == 0);
  p.pipeline = RenderPipelineSection(study, options.tie_fraction);
  for (auto& c : p.pipeline.charts) out.charts.push_back(c);
  p.adaptive = RenderAdaptiveSection(study);
  for (auto& c : p.adaptive.charts) out.charts.push_back(c);

  out.index_html = RenderHtml(study, p, options);
  out.summary_md = RenderMarkdown(study, p);
  out.crossover_statements = p.statements;
  out.pipeline_statements = p.pipeline.statements;
  out.adaptive_statements = p.adaptive.statements;
  return out;
}

namespace {

Status WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Internal(fmt::format("cannot create {}", path.string()));
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
  f.close();
  if (!f) return Internal(fmt::format("cannot write {}", path.string()));
  return Status::Ok();
}

// Removes a temporary directory when it goes out of scope, unless released.
class TempDirGuard {
 public:
  explicit TempDirGuard(fs::path p) : path_(std::move(p)) {}
  ~TempDirGuard() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  TempDirGuard(const TempDirGuard&) = delete;
  TempDirGuard& operator=(const TempDirGuard&) = delete;
  void Release() { path_.clear(); }

 private:
  fs::path path_;
};

}  // namespace

Status WriteReport(const RenderedReport& report, const std::string& dir) {
  if (dir.empty()) return InvalidArgument("no output directory given");
  std::error_code ec;
  fs::path out = fs::absolute(fs::path(dir), ec).lexically_normal();
  if (ec) return InvalidArgument(fmt::format("{}: {}", dir, ec.message()));
  if (!out.has_filename()) out = out.parent_path();  // "dir/" -> "dir"
  fs::path parent = out.parent_path();

  bool exists = fs::exists(out, ec);
  if (exists && !fs::is_directory(out, ec)) {
    return InvalidArgument(fmt::format("{} exists and is not a directory", dir));
  }
  fs::create_directories(parent, ec);
  if (ec) return Internal(fmt::format("cannot create {}: {}", parent.string(), ec.message()));

  std::string pattern = (parent / ("." + out.filename().string() + ".tmp-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Internal(fmt::format("cannot create a temporary directory beside {}: {}", dir,
                                std::error_code(errno, std::generic_category()).message()));
  }
  fs::path tmp = pattern;
  TempDirGuard guard(tmp);
  fs::permissions(tmp,
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  ec);

  // Everything is written into tmp first.
  fs::create_directory(tmp / "charts", ec);
  if (ec) return Internal(fmt::format("cannot create {}: {}", (tmp / "charts").string(), ec.message()));
  if (Status s = WriteFile(tmp / "index.html", report.index_html); !s.ok()) return s;
  if (Status s = WriteFile(tmp / "summary.md", report.summary_md); !s.ok()) return s;
  for (const auto& c : report.charts) {
    if (Status s = WriteFile(tmp / "charts" / c.file_name, c.svg); !s.ok()) return s;
  }

  if (!exists) {
    fs::rename(tmp, out, ec);
    if (ec) return Internal(fmt::format("cannot move the report to {}: {}", dir, ec.message()));
    guard.Release();
    return Status::Ok();
  }

  // An existing directory: swap charts/ (the old one ends up in tmp and is
  // removed with it), then replace the two files.
  fs::path old_charts = tmp / "charts.old";
  bool had_charts = fs::exists(out / "charts", ec);
  if (had_charts) {
    fs::rename(out / "charts", old_charts, ec);
    if (ec) return Internal(fmt::format("cannot replace {}/charts: {}", dir, ec.message()));
  }
  fs::rename(tmp / "charts", out / "charts", ec);
  if (ec) {
    std::error_code ignored;
    if (had_charts) fs::rename(old_charts, out / "charts", ignored);
    return Internal(fmt::format("cannot move charts into {}: {}", dir, ec.message()));
  }
  for (const char* name : {"index.html", "summary.md"}) {
    fs::rename(tmp / name, out / name, ec);
    if (ec) return Internal(fmt::format("cannot move {} into {}: {}", name, dir, ec.message()));
  }
  return Status::Ok();
}

}  // namespace switchyard::report
