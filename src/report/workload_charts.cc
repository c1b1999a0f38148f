#include "report/workload_charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include "report/format.h"
#include "report/svg_chart.h"

namespace switchyard::report {
namespace {

std::optional<double> Scaled(const Figure& f, double factor) {
  if (!f) return std::nullopt;
  return *f * factor;
}

std::string LoadLabel(const Workload& w) { return fmt::format("offered load ({})", LoadUnit(w.mode)); }

std::string Render(const LineChartSpec& spec, SvgMode mode) { return RenderLineChart(spec, mode); }
std::string Render(const BarChartSpec& spec, SvgMode mode) { return RenderBarChart(spec, mode); }

// A chart of either kind as its file and its inline copy.
template <typename Spec>
ChartFile FileOf(const Workload& w, const std::string& slug, const std::string& suffix, const Spec& spec) {
  ChartFile f;
  f.file_name = slug + "-" + suffix + ".svg";
  f.title = spec.title;
  f.workload = w.name;
  f.svg = Render(spec, SvgMode::kStandalone);
  f.svg_inline = Render(spec, SvgMode::kInline);
  return f;
}

// Throughput against p99, one point per load point in load order.
LineChartSpec ThroughputAgainstP99(const Workload& w) {
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
  return tp;
}

// p50 (dashed) and p99 against the offered load.
LineChartSpec LatencyAgainstLoad(const Workload& w) {
  LineChartSpec lat;
  lat.title = w.name + ": p50 and p99 latency against offered load";
  lat.x.label = LoadLabel(w);
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
  return lat;
}

// Bars per load point, one per configuration: `field` times `factor`.
BarChartSpec BarsPerLoadPoint(const Workload& w, const std::string& title, const std::string& y_label,
                              Figure CellFigures::*field, double factor) {
  BarChartSpec b;
  b.title = title;
  b.category_label = LoadLabel(w);
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
  return b;
}

// The lines of the charts against the worker count: one per configuration
// apart from the workers, and per load point when there are several.
struct WorkerLines {
  struct Line {
    ServerConfig config;  // without the workers
    double x;
    std::string name;
    std::vector<const Cell*> cells;  // by worker count
  };
  std::vector<Line> lines;
  std::vector<ServerConfig> configs;  // distinct, for colours
};

// A line's name: the series label without " wN" (and without the executor
// when there is one), with the load point when there are several.
std::string LineName(const Workload& w, const Cell& c, double x, size_t executors) {
  std::string name = c.series;
  std::string token = fmt::format(" w{}", *c.config.workers);
  if (size_t p = name.find(token);
      p != std::string::npos && (p + token.size() == name.size() || name[p + token.size()] == ' ')) {
    name.erase(p, token.size());
  }
  if (executors == 1 && name.rfind(c.config.executor + " ", 0) == 0)
    name.erase(0, c.config.executor.size() + 1);
  if (w.load_points.size() > 1) name += " @ " + FormatLoadPoint(x, w.mode);
  return name;
}

WorkerLines WorkerLinesOf(const Workload& w) {
  std::set<std::string> executors;
  for (const auto& c : w.cells) executors.insert(c.config.executor);
  WorkerLines out;
  for (double x : w.load_points) {
    for (const auto& s : w.series) {
      const Cell* c = w.Find(s, x);
      if (!c || !c->config.workers) continue;
      ServerConfig key = c->config;
      key.workers.reset();
      if (std::find(out.configs.begin(), out.configs.end(), key) == out.configs.end())
        out.configs.push_back(key);
      auto it = std::find_if(out.lines.begin(), out.lines.end(),
                             [&](const WorkerLines::Line& l) { return l.config == key && l.x == x; });
      if (it == out.lines.end()) {
        out.lines.push_back({key, x, LineName(w, *c, x, executors.size()), {}});
        it = out.lines.end() - 1;
      }
      it->cells.push_back(c);
    }
  }
  for (auto& l : out.lines) {
    std::stable_sort(l.cells.begin(), l.cells.end(),
                     [](const Cell* a, const Cell* b) { return *a->config.workers < *b->config.workers; });
  }
  return out;
}

// A figure against the worker count; the lines of lower load points dashed.
template <typename Value>
LineChartSpec AgainstWorkers(const Workload& w, const WorkerLines& lines, const std::string& title,
                             const std::string& y_label, Value value) {
  LineChartSpec spec;
  spec.title = title;
  spec.x.label = "workers";
  spec.x.scale = Scale::kLinear;
  spec.x.from_zero = true;
  spec.x.whole_numbers = true;
  spec.y.label = y_label;
  spec.y.from_zero = true;
  for (const auto& l : lines.lines) {
    XYSeries s;
    s.name = l.name;
    s.color = static_cast<int>(std::find(lines.configs.begin(), lines.configs.end(), l.config) -
                               lines.configs.begin());
    s.dashed = l.x != w.load_points.back();
    for (const Cell* c : l.cells) {
      if (Figure v = value(*c)) s.points.emplace_back(static_cast<double>(*c->config.workers), *v);
    }
    spec.series.push_back(std::move(s));
  }
  return spec;
}

}  // namespace

std::vector<ChartFile> WorkloadCharts(const Workload& w, const std::string& slug) {
  std::vector<ChartFile> out;
  out.push_back(FileOf(w, slug, "throughput-vs-p99", ThroughputAgainstP99(w)));
  out.push_back(FileOf(w, slug, "latency-vs-load", LatencyAgainstLoad(w)));
  out.push_back(FileOf(w, slug, "cpu-per-request",
                       BarsPerLoadPoint(w, w.name + ": CPU time per request", "CPU time per request (ms)",
                                        &CellFigures::cpu_s_per_request, 1000.0)));
  out.push_back(
      FileOf(w, slug, "ctxsw-per-request",
             BarsPerLoadPoint(w, w.name + ": context switches per request", "context switches per request",
                              &CellFigures::ctxt_switches_per_request, 1.0)));
  out.push_back(FileOf(w, slug, "pss",
                       BarsPerLoadPoint(w, w.name + ": PSS of the server's process tree", "PSS (MiB)",
                                        &CellFigures::pss_bytes, 1.0 / (1024.0 * 1024.0))));

  std::set<int64_t> worker_counts;
  for (const auto& c : w.cells) {
    if (c.config.workers) worker_counts.insert(*c.config.workers);
  }
  if (worker_counts.size() > 1) {
    const WorkerLines lines = WorkerLinesOf(w);
    out.push_back(
        FileOf(w, slug, "throughput-vs-workers",
               AgainstWorkers(w, lines, w.name + ": throughput against workers", "throughput (req/s)",
                              [](const Cell& c) { return c.median.throughput_rps; })));
    out.push_back(
        FileOf(w, slug, "p99-vs-workers",
               AgainstWorkers(w, lines, w.name + ": p99 latency against workers", "p99 latency (ms)",
                              [](const Cell& c) { return Scaled(c.median.p99_us, 1e-3); })));
  }
  return out;
}

}  // namespace switchyard::report
