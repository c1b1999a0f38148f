#include "report/pipeline_section.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "report/format.h"
#include "report/svg_chart.h"

namespace switchyard::report {
namespace {

constexpr const char* kNote =
    "Each pipeline cell is one `switchyard load` run per repetition; each figure is the median across the "
    "cell's successful repetitions. Items/s and MB/s: what reached the consumer over the run's wall time "
    "(MB = 10^6 bytes read). Starvation: the share of the run the consumer spent waiting for a batch. Batch "
    "wait p99: the 99th percentile of those waits. CPU: the cores the run's process tree kept busy on "
    "average. PSS: the process tree's peak proportional set size (MB = 10^6 bytes). Cache: the data set's "
    "page-cache state when the run started. sync has no workers: its row says 1 and the chart draws it as a "
    "dashed level line. Bold: the highest items/s of the table.";

std::string Workers(const PipelineConfig& c) {
  if (c.loader == "sync") return "1";
  return IntegerOrNa(c.workers);
}

std::string Args(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
  return s.empty() ? "none" : s;
}

// Which optional columns any cell of the study needs.
struct Columns {
  bool skipped = false;
  bool errors = false;
  bool replaced = false;
};

Columns ColumnsOf(const Study& study) {
  Columns c;
  for (const auto& g : study.pipeline_groups) {
    for (const auto& cell : g.cells) {
      c.skipped = c.skipped || cell.median.skipped.value_or(0) > 0;
      c.errors = c.errors || cell.median.errors.value_or(0) > 0;
      c.replaced = c.replaced || cell.median.workers_replaced.value_or(0) > 0;
    }
  }
  return c;
}

// Text: the loader (first) and the cache state (second to last).
std::vector<Column> TableColumns(const Columns& c) {
  std::vector<std::string> h = {
      "Loader", "Workers", "Items/s", "MB/s", "Starvation", "Batch wait p99 (ms)", "CPU (cores)", "PSS (MB)"};
  if (c.skipped) h.push_back("Skipped");
  if (c.errors) h.push_back("Errors");
  if (c.replaced) h.push_back("Workers replaced");
  h.insert(h.end(), {"Cache", "Repetitions"});
  std::vector<Column> columns;
  for (size_t j = 0; j < h.size(); ++j) columns.push_back({h[j], j != 0 && j + 2 != h.size(), ""});
  return columns;
}

std::vector<std::string> CellsOfRow(const PipelineCell& cell, const Columns& c) {
  const PipelineFigures& m = cell.median;
  std::vector<std::string> r = {cell.config.loader.empty() ? "?" : cell.config.loader,
                                Workers(cell.config),
                                RateWithoutSeparators(m.items_per_s),
                                RateWithoutSeparators(m.mb_per_s),
                                FixedDecimals(m.starvation, 3),
                                FixedDecimals(m.batch_wait_p99_ms, 2),
                                FixedDecimals(m.cpu_cores, 2),
                                MegabytesOneDecimal(m.pss_bytes)};
  if (c.skipped) r.push_back(CountShortest(m.skipped));
  if (c.errors) r.push_back(CountShortest(m.errors));
  if (c.replaced) r.push_back(CountShortest(m.workers_replaced));
  r.insert(r.end(),
           {m.cache_state.empty() ? std::string(kNa) : m.cache_state, std::to_string(cell.repetitions)});
  return r;
}

// The cell with the highest items/s (the first such), or nullptr.
const PipelineCell* Fastest(const std::vector<const PipelineCell*>& cells) {
  const PipelineCell* best = nullptr;
  for (const PipelineCell* c : cells) {
    if (c->median.items_per_s && (!best || *c->median.items_per_s > *best->median.items_per_s)) best = c;
  }
  return best;
}

std::vector<const PipelineCell*> CellsOf(const PipelineGroup& g, const std::string& loader = "") {
  std::vector<const PipelineCell*> out;
  for (const auto& c : g.cells) {
    if (loader.empty() || c.config.loader == loader) out.push_back(&c);
  }
  return out;
}

std::string ItemsPerS(const PipelineCell& c) {
  return RateWithoutSeparators(c.median.items_per_s) + " items/s";
}

LineChartSpec ItemsChart(const PipelineGroup& g, const std::vector<std::string>& loader_order) {
  LineChartSpec spec;
  spec.title = g.title + ": items/s against workers";
  spec.x.label = "workers";
  spec.x.scale = Scale::kLinear;
  spec.x.from_zero = true;
  spec.x.whole_numbers = true;
  spec.y.label = "items/s";
  spec.y.from_zero = true;
  for (const auto& loader : g.loaders) {
    XYSeries s;
    s.name = loader;
    s.color =
        static_cast<int>(std::find(loader_order.begin(), loader_order.end(), loader) - loader_order.begin());
    if (loader == "sync") {
      const PipelineCell* c = Fastest(CellsOf(g, loader));
      if (!c) continue;
      // No workers: a level line across the worker counts measured.
      s.name = "sync (no workers)";
      s.dashed = true;
      const double lo = g.worker_counts.empty() ? 1.0 : static_cast<double>(g.worker_counts.front());
      const double hi = g.worker_counts.empty() ? 1.0 : static_cast<double>(g.worker_counts.back());
      s.points.emplace_back(lo, *c->median.items_per_s);
      if (hi != lo) s.points.emplace_back(hi, *c->median.items_per_s);
    } else {
      for (const PipelineCell* c : CellsOf(g, loader)) {
        if (c->config.workers && c->median.items_per_s) {
          s.points.emplace_back(static_cast<double>(*c->config.workers), *c->median.items_per_s);
        }
      }
    }
    spec.series.push_back(std::move(s));
  }
  return spec;
}

std::string DataSetText(const Study& study) {
  if (!study.pipeline_data) return {};
  const PipelineDataSet& d = *study.pipeline_data;
  std::string s = "Data set: " + (d.files ? fmt::format("{} files", *d.files) : std::string("files n/a"));
  if (d.bytes) s += fmt::format(", {:.1f} MB", *d.bytes / 1e6);
  if (d.min_bytes && d.max_bytes)
    s += fmt::format(" ({:g} to {:g} MB each", *d.min_bytes / 1e6, *d.max_bytes / 1e6);
  if (d.min_bytes && d.max_bytes) s += d.seed ? fmt::format(", seed {})", *d.seed) : std::string(")");
  s += ".";
  if (study.several_data_sets) s += " The records name more than one data set; this is the first.";
  return s;
}

struct ConfigRow {
  std::string id;
  PipelineConfig config;
  int repetitions = 0;
};

std::vector<ConfigRow> ConfigRows(const Study& study) {
  std::vector<ConfigRow> rows;
  std::set<std::string> seen;
  for (const auto& g : study.pipeline_groups) {
    for (const auto& c : g.cells) {
      seen.insert(c.id);
      rows.push_back({c.id, c.config, c.repetitions});
    }
  }
  for (const auto& f : study.failed) {
    if (f.pipeline && seen.insert(f.cell).second) rows.push_back({f.cell, *f.pipeline, 0});
  }
  return rows;
}

std::vector<Column> ConfigColumns() {
  std::vector<Column> columns;
  for (const char* title : {"Cell", "Loader", "Workers", "Matrix", "Batch", "Prefetch", "Consumer (ms)",
                            "Epochs", "Extra flags", "Successful repetitions"}) {
    columns.push_back({title, false, ""});
  }
  return columns;
}

std::vector<std::string> ConfigCells(const ConfigRow& r) {
  const PipelineConfig& c = r.config;
  return {r.id,
          c.loader.empty() ? std::string(kNa) : c.loader,
          Workers(c),
          IntegerOrNa(c.matrix_size),
          IntegerOrNa(c.batch),
          IntegerOrNa(c.prefetch),
          CountShortest(c.consumer_ms),
          IntegerOrNa(c.epochs),
          Args(c.args),
          std::to_string(r.repetitions)};
}

}  // namespace

std::string PipelineStatement(const PipelineGroup& g, double tie_fraction) {
  // Each loader at its best worker count, fastest first (the study's loader
  // order breaks ties).
  std::vector<const PipelineCell*> best;
  for (const auto& loader : g.loaders) {
    if (const PipelineCell* c = Fastest(CellsOf(g, loader))) best.push_back(c);
  }
  std::stable_sort(best.begin(), best.end(), [](const PipelineCell* a, const PipelineCell* b) {
    return *a->median.items_per_s > *b->median.items_per_s;
  });
  if (best.empty()) return g.title + ": no run reported items/s";
  const PipelineCell& top = *best[0];
  if (best.size() == 1) {
    if (top.config.loader == "sync")
      return fmt::format("{}: only sync was measured: {}", g.title, ItemsPerS(top));
    return fmt::format("{}: only {} was measured; best at {} workers with {}", g.title, top.config.loader,
                       Workers(top.config), ItemsPerS(top));
  }
  const PipelineCell& next = *best[1];
  std::string text = fmt::format("{}: {} is best with {}", g.title, top.config.Label(), ItemsPerS(top));
  const double a = *top.median.items_per_s;
  const double b = *next.median.items_per_s;
  if (b > 0) {
    const double margin = a / b - 1;
    if (margin < 1) {
      text += fmt::format(", {}% more than {} ({})", std::lround(margin * 100), next.config.Label(),
                          ItemsPerS(next));
    } else {
      text += fmt::format(", {:.2f}x {} ({})", a / b, next.config.Label(), ItemsPerS(next));
    }
    if (margin < tie_fraction) text += fmt::format(" (within {:g}%: a tie)", tie_fraction * 100);
  } else {
    text += fmt::format(", against {} for {}", ItemsPerS(next), next.config.Label());
  }
  for (size_t i = 2; i < best.size(); ++i) {
    const PipelineCell& sync = *best[i];
    if (sync.config.loader != "sync") continue;
    const double s = *sync.median.items_per_s;
    if (s > 0) {
      text += fmt::format(" and {:.2f}x sync ({})", a / s, ItemsPerS(sync));
    } else {
      text += fmt::format(" and sync {}", ItemsPerS(sync));
    }
  }
  return text;
}

PipelineSections PipelineSectionsOf(const Study& study, double tie_fraction, Document& doc) {
  PipelineSections out;
  if (study.pipeline_records == 0) return out;

  // Colours follow the loader across every chart.
  std::vector<std::string> loader_order;
  for (const auto& g : study.pipeline_groups) {
    for (const auto& l : g.loaders) {
      if (std::find(loader_order.begin(), loader_order.end(), l) == loader_order.end())
        loader_order.push_back(l);
    }
  }
  const Columns columns = ColumnsOf(study);
  const std::string data_text = DataSetText(study);

  Section head{2, "pipeline", "Pipeline", "Pipeline"};
  head.Note(kNote);
  if (!data_text.empty()) head.Text(data_text);
  if (study.pipeline_groups.empty()) head.Text("No pipeline cell ran successfully.");
  out.sections.push_back(std::move(head));
  for (const auto& g : study.pipeline_groups) {
    // Bold: the fastest cell of the table.
    Table table;
    table.css_class = "summary pipeline";
    table.columns = TableColumns(columns);
    const PipelineCell* fastest = Fastest(CellsOf(g));
    for (const PipelineCell& cell : g.cells)
      table.rows.push_back({CellsOfRow(cell, columns), &cell == fastest});
    const LineChartSpec chart = ItemsChart(g, loader_order);
    ChartFile file;
    file.file_name = "pipeline-" + g.slug + "-items-vs-workers.svg";
    file.title = chart.title;
    file.workload = "pipeline " + g.title;
    file.svg = RenderLineChart(chart, SvgMode::kStandalone);
    file.svg_inline = RenderLineChart(chart, SvgMode::kInline);
    out.sections.push_back(Section{3, "", g.title}.Add(std::move(table)).Add(doc.AddChart(std::move(file))));
    out.statements.push_back(PipelineStatement(g, tie_fraction));
  }
  if (!out.statements.empty()) {
    out.sections.push_back(
        Section{3, "pipeline-best", "Best loader per matrix size"}.Statements(out.statements));
  }

  Table config;
  config.css_class = "config";
  config.columns = ConfigColumns();
  for (const auto& r : ConfigRows(study)) config.rows.push_back({ConfigCells(r), false});
  out.sections.push_back(
      Section{3, "pipeline-configuration", "Configuration of each pipeline cell"}.Add(std::move(config)));
  return out;
}

}  // namespace switchyard::report
