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

}  // namespace

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

}  // namespace switchyard::report
