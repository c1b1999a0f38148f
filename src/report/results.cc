#include "report/results.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "report/run_view.h"
#include "report/series_label.h"

namespace switchyard::report {
namespace {

using RunKey = std::pair<std::string, int64_t>;  // (cell, repetition)

bool SameMachine(const results::Machine& a, const results::Machine& b) {
  return a.cores == b.cores && a.cpu.value_or("") == b.cpu.value_or("") &&
         a.kernel.value_or("") == b.kernel.value_or("") && a.hostname.value_or("") == b.hostname.value_or("");
}

// The study's name(s) (as first met), first and last start, and machine.
void DescribeStudy(const std::vector<RunView>& runs, Study& study) {
  std::vector<std::string> names;
  for (const auto& r : runs) {
    if (!r.study.empty() && std::find(names.begin(), names.end(), r.study) == names.end()) {
      names.push_back(r.study);
    }
    if (!r.started_at.empty()) {
      if (study.first_started_at.empty() || r.started_at < study.first_started_at) {
        study.first_started_at = r.started_at;
      }
      if (r.started_at > study.last_started_at) study.last_started_at = r.started_at;
    }
    if (r.machine) {
      if (!study.machine) {
        study.machine = r.machine;
      } else if (!SameMachine(*study.machine, *r.machine)) {
        study.several_machines = true;
      }
    }
  }
  for (size_t i = 0; i < names.size(); ++i) study.name += (i ? ", " : "") + names[i];
}

// The last ok record of each (cell, repetition): the runs that count.
std::map<RunKey, const RunView*> LatestOkRuns(const std::vector<RunView>& runs) {
  std::map<RunKey, const RunView*> latest;
  for (const auto& r : runs) {
    if (r.ok) latest[{r.cell, r.repetition}] = &r;
  }
  return latest;
}

void CountKinds(const std::vector<RunView>& runs, Study& study) {
  for (const auto& r : runs) {
    ++(r.pipeline ? study.pipeline_records : r.adaptive ? study.adaptive_records : study.server_records);
  }
}

FailedRun FailureOf(const RunView& r, const SeriesLabeler& labeler) {
  FailedRun f;
  f.line = r.line;
  f.cell = r.cell;
  f.repetition = r.repetition;
  f.error = r.error.empty() ? "(no reason given)" : r.error;
  f.workload = r.workload;
  if (!r.config.executor.empty()) f.series = labeler.Label(r.config);
  f.config = r.config;
  f.mix = r.mix;
  f.load_mode = r.load_mode;
  f.load_x = r.load_x;
  if (r.pipeline) {
    const PipelineConfig& c = r.pipeline->config;
    f.pipeline = c;
    f.workload = "pipeline";
    if (!c.loader.empty()) f.series = c.Label();
    if (c.matrix_size) f.series += fmt::format(", matrix {}", *c.matrix_size);
  }
  if (r.adaptive) {
    f.adaptive = true;
    f.workload = "adaptive";
    f.series = (r.adaptive->is_static ? "static " : "controller ") + r.adaptive->name;
  }
  return f;
}

// The failed records no later ok record of the same (cell, repetition) replaced.
void ListFailures(const std::vector<RunView>& runs, const std::map<RunKey, const RunView*>& latest,
                  const SeriesLabeler& labeler, Study& study) {
  for (const auto& r : runs) {
    if (r.ok) continue;
    if (latest.count({r.cell, r.repetition})) {
      ++study.superseded_failures;
      continue;
    }
    study.failed.push_back(FailureOf(r, labeler));
  }
}

// The runs that count, by cell, in order of the cells' first appearance.
struct CellRuns {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const RunView*>> runs_of;

  void Add(const RunView& r) {
    auto& v = runs_of[r.cell];
    if (v.empty()) order.push_back(r.cell);
    v.push_back(&r);
  }
};

// Sorts the runs that count by kind: server cells, pipeline cells, adaptive
// runs (kept whole). The pipeline data set is taken from every record.
void SortRuns(const std::vector<RunView>& runs, const std::map<RunKey, const RunView*>& latest,
              CellRuns& server, CellRuns& pipeline, Study& study) {
  for (const auto& r : runs) {
    if (r.pipeline && r.pipeline->data) {
      if (!study.pipeline_data) {
        study.pipeline_data = r.pipeline->data;
      } else if (*study.pipeline_data != *r.pipeline->data) {
        study.several_data_sets = true;
      }
    }
    auto it = latest.find({r.cell, r.repetition});
    if (!r.ok || it == latest.end() || it->second != &r) continue;
    if (r.adaptive) {
      study.adaptive_runs.push_back(*r.adaptive);
    } else {
      (r.pipeline ? pipeline : server).Add(r);
    }
  }
}

// Pipeline cells with the medians of their repetitions.
std::vector<PipelineCell> PipelineCellsOf(const CellRuns& pipeline) {
  std::vector<PipelineCell> cells;
  for (const auto& id : pipeline.order) {
    const auto& runs = pipeline.runs_of.at(id);
    PipelineCell c;
    c.id = id;
    c.config = runs.back()->pipeline->config;
    c.repetitions = static_cast<int>(runs.size());
    std::vector<const PipelineFigures*> figures;
    for (const RunView* r : runs) figures.push_back(&r->pipeline->figures);
    c.median = PipelineMedians(figures);
    cells.push_back(std::move(c));
  }
  return cells;
}

CellFigures Medians(const std::vector<const RunView*>& runs) {
  auto med = [&](Figure CellFigures::*field) {
    std::vector<double> v;
    for (const RunView* r : runs) {
      if (const Figure& x = r->figures.*field) v.push_back(*x);
    }
    return MedianOf(std::move(v));
  };
  CellFigures m;
  m.throughput_rps = med(&CellFigures::throughput_rps);
  m.goodput_rps = med(&CellFigures::goodput_rps);
  m.p50_us = med(&CellFigures::p50_us);
  m.p95_us = med(&CellFigures::p95_us);
  m.p99_us = med(&CellFigures::p99_us);
  m.errors = med(&CellFigures::errors);
  m.cpu_s_per_request = med(&CellFigures::cpu_s_per_request);
  m.ctxt_switches_per_request = med(&CellFigures::ctxt_switches_per_request);
  m.pss_bytes = med(&CellFigures::pss_bytes);
  m.queue_mean_us = med(&CellFigures::queue_mean_us);
  m.queue_p99_us = med(&CellFigures::queue_p99_us);
  m.jain_index = med(&CellFigures::jain_index);
  m.gil_held_share = med(&CellFigures::gil_held_share);
  m.gil_wait_share = med(&CellFigures::gil_wait_share);
  return m;
}

// Per name, the medians over the runs that report it; names in the last
// run's order, then those only earlier runs had.
std::vector<GroupFigures> GroupMedians(const std::vector<const RunView*>& runs,
                                       std::vector<GroupFigures> RunView::*groups) {
  std::vector<GroupFigures> out;
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    for (const GroupFigures& g : (*it)->*groups) {
      auto same = [&](const GroupFigures& x) { return x.name == g.name; };
      if (std::find_if(out.begin(), out.end(), same) != out.end()) continue;
      GroupFigures m;
      m.name = g.name;
      m.client = g.client;
      m.spec = g.spec;
      auto med = [&](Figure GroupFigures::*field) {
        std::vector<double> v;
        for (const RunView* r : runs) {
          for (const GroupFigures& x : r->*groups) {
            if (x.name == g.name && x.*field) v.push_back(*(x.*field));
          }
        }
        return MedianOf(std::move(v));
      };
      m.goodput_rps = med(&GroupFigures::goodput_rps);
      m.ok_p50_us = med(&GroupFigures::ok_p50_us);
      m.ok_p99_us = med(&GroupFigures::ok_p99_us);
      m.rejected_503 = med(&GroupFigures::rejected_503);
      m.expired_504 = med(&GroupFigures::expired_504);
      out.push_back(std::move(m));
    }
  }
  return out;
}

// A server cell with the medians of its repetitions (the last one names it).
Cell CellOf(const std::string& id, const std::vector<const RunView*>& runs, const SeriesLabeler& labeler) {
  const RunView* last = runs.back();
  Cell c;
  c.id = id;
  c.config = last->config;
  c.series = last->config.executor.empty() ? id : labeler.Label(last->config);
  c.mix = last->mix;
  c.mode = last->load_mode.value_or(LoadMode::kClosed);
  c.x = *last->load_x;
  c.repetitions = static_cast<int>(runs.size());
  c.median = Medians(runs);
  c.entries = GroupMedians(runs, &RunView::entries);
  c.clients = GroupMedians(runs, &RunView::clients);
  return c;
}

// Server cells into workloads keyed by (name, mode), in order of first
// appearance; a name measured in both modes gets the mode spelled out.
std::vector<Workload> WorkloadsOf(const CellRuns& server, const SeriesLabeler& labeler) {
  std::map<std::string, std::set<LoadMode>> modes_of;
  for (const auto& id : server.order) {
    const RunView* last = server.runs_of.at(id).back();
    modes_of[last->workload].insert(last->load_mode.value_or(LoadMode::kClosed));
  }
  std::vector<Workload> workloads;
  std::map<std::pair<std::string, LoadMode>, size_t> index;
  for (const auto& id : server.order) {
    const auto& runs = server.runs_of.at(id);
    const RunView* last = runs.back();
    const LoadMode mode = last->load_mode.value_or(LoadMode::kClosed);
    auto [it, fresh] = index.try_emplace({last->workload, mode}, workloads.size());
    if (fresh) {
      Workload w;
      w.name = last->workload;
      if (modes_of[last->workload].size() > 1) {
        w.name += mode == LoadMode::kClosed ? " (closed loop)" : " (open loop)";
      }
      w.mode = mode;
      workloads.push_back(std::move(w));
    }
    workloads[it->second].cells.push_back(CellOf(id, runs, labeler));
  }
  return workloads;
}

// Two cells with one label at one load point (they differ in something the
// label does not show): named by cell id.
void NameSeriesApart(Workload& w) {
  std::map<std::pair<std::string, double>, int> seen;
  for (const auto& c : w.cells) ++seen[{c.series, c.x}];
  for (auto& c : w.cells) {
    if (seen[{c.series, c.x}] > 1) c.series += " [" + c.id + "]";
  }
}

// Series order: executor as first met in the file, then workers, then as
// first met (the study's matrix order).
void OrderSeries(Workload& w, const std::vector<std::string>& executor_order) {
  std::vector<const Cell*> firsts;
  for (const auto& c : w.cells) {
    if (std::find(w.series.begin(), w.series.end(), c.series) == w.series.end()) {
      w.series.push_back(c.series);
      firsts.push_back(&c);
    }
  }
  auto rank = [&](const Cell* c) {
    auto pos =
        std::find(executor_order.begin(), executor_order.end(), c->config.executor) - executor_order.begin();
    return std::make_tuple(pos, c->config.workers.value_or(0));
  };
  std::stable_sort(firsts.begin(), firsts.end(),
                   [&](const Cell* a, const Cell* b) { return rank(a) < rank(b); });
  w.series.clear();
  for (const Cell* c : firsts) w.series.push_back(c->series);
}

// Load points ascending; cells by load point, then series order.
void OrderCells(Workload& w) {
  for (const auto& c : w.cells) w.load_points.push_back(c.x);
  std::sort(w.load_points.begin(), w.load_points.end());
  w.load_points.erase(std::unique(w.load_points.begin(), w.load_points.end()), w.load_points.end());
  auto series_pos = [&](const std::string& s) {
    return std::find(w.series.begin(), w.series.end(), s) - w.series.begin();
  };
  std::stable_sort(w.cells.begin(), w.cells.end(), [&](const Cell& a, const Cell& b) {
    if (a.x != b.x) return a.x < b.x;
    return series_pos(a.series) < series_pos(b.series);
  });
}

SeriesLabeler LabelerOf(const std::vector<RunView>& runs) {
  std::vector<ServerConfig> configs;
  for (const auto& r : runs) configs.push_back(r.config);
  return SeriesLabeler(configs);
}

// Executors in order of first appearance in the file (records of other
// kinds count as "").
std::vector<std::string> ExecutorOrder(const std::vector<RunView>& runs) {
  std::vector<std::string> order;
  for (const auto& r : runs) {
    if (std::find(order.begin(), order.end(), r.config.executor) == order.end())
      order.push_back(r.config.executor);
  }
  return order;
}

}  // namespace

Study Aggregate(const std::vector<results::NumberedRecord>& records) {
  std::vector<RunView> runs;
  runs.reserve(records.size());
  for (const auto& r : records) runs.push_back(ViewOf(r));
  const SeriesLabeler labeler = LabelerOf(runs);

  Study study;
  study.records = static_cast<int>(runs.size());
  DescribeStudy(runs, study);
  const std::map<RunKey, const RunView*> latest = LatestOkRuns(runs);
  CountKinds(runs, study);
  ListFailures(runs, latest, labeler, study);
  study.ok_records = static_cast<int>(latest.size());

  CellRuns server, pipeline;
  SortRuns(runs, latest, server, pipeline, study);
  study.pipeline_groups = GroupPipelineCells(PipelineCellsOf(pipeline));
  study.workloads = WorkloadsOf(server, labeler);
  const std::vector<std::string> executor_order = ExecutorOrder(runs);
  for (auto& w : study.workloads) {
    NameSeriesApart(w);
    OrderSeries(w, executor_order);
    OrderCells(w);
  }
  return study;
}

Result<Study> LoadStudy(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound(fmt::format("{}: cannot open the results file", path));
  std::vector<std::string> warnings;
  auto records = results::ReadRecords(in, path, &warnings);
  if (!records.ok()) return records.status();
  Study study = Aggregate(*records);
  study.warnings = std::move(warnings);
  return study;
}

}  // namespace switchyard::report
