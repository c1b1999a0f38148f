#include "report/pipeline_results.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace switchyard::report {
namespace {

// The settings a group shares: the config without loader and workers.
PipelineConfig SettingsOf(PipelineConfig c) {
  c.loader.clear();
  c.workers.reset();
  return c;
}

std::string Optional(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string("n/a"); }

}  // namespace

std::string PipelineConfig::Label() const {
  std::string s = loader.empty() ? "?" : loader;
  if (loader != "sync" && workers) s += fmt::format(" w{}", *workers);
  return s;
}

const PipelineCell* PipelineGroup::Find(std::string_view loader, int64_t workers) const {
  for (const auto& c : cells) {
    if (c.config.loader != loader) continue;
    if (loader == "sync" || c.config.workers.value_or(-1) == workers) return &c;
  }
  return nullptr;
}

PipelineFigures PipelineMedians(const std::vector<const PipelineFigures*>& runs) {
  auto med = [&](Figure PipelineFigures::*field) {
    std::vector<double> v;
    for (const PipelineFigures* r : runs) {
      if (const Figure& x = r->*field) v.push_back(*x);
    }
    return MedianOf(std::move(v));
  };
  PipelineFigures m;
  m.items_per_s = med(&PipelineFigures::items_per_s);
  m.mb_per_s = med(&PipelineFigures::mb_per_s);
  m.starvation = med(&PipelineFigures::starvation);
  m.batch_wait_p99_ms = med(&PipelineFigures::batch_wait_p99_ms);
  m.cpu_cores = med(&PipelineFigures::cpu_cores);
  m.pss_bytes = med(&PipelineFigures::pss_bytes);
  m.skipped = med(&PipelineFigures::skipped);
  m.errors = med(&PipelineFigures::errors);
  m.workers_replaced = med(&PipelineFigures::workers_replaced);
  std::vector<std::string> states;
  for (const PipelineFigures* r : runs) {
    if (!r->cache_state.empty() && std::find(states.begin(), states.end(), r->cache_state) == states.end()) {
      states.push_back(r->cache_state);
    }
  }
  for (size_t i = 0; i < states.size(); ++i) m.cache_state += (i ? "/" : "") + states[i];
  return m;
}

std::vector<PipelineGroup> GroupPipelineCells(const std::vector<PipelineCell>& cells) {
  // Which settings other than the matrix size vary across the study: those
  // name a group beside its matrix size.
  std::set<std::string> batches, prefetches, consumers, epochs, args;
  std::vector<std::string> loader_order;
  for (const auto& c : cells) {
    batches.insert(Optional(c.config.batch));
    prefetches.insert(Optional(c.config.prefetch));
    consumers.insert(c.config.consumer_ms ? fmt::format("{:g}", *c.config.consumer_ms) : "n/a");
    epochs.insert(Optional(c.config.epochs));
    std::string a;
    for (const auto& x : c.config.args) a += (a.empty() ? "" : " ") + x;
    args.insert(a);
    if (std::find(loader_order.begin(), loader_order.end(), c.config.loader) == loader_order.end()) {
      loader_order.push_back(c.config.loader);
    }
  }

  std::vector<PipelineGroup> groups;
  for (const auto& c : cells) {
    const PipelineConfig settings = SettingsOf(c.config);
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const PipelineGroup& g) { return g.settings == settings; });
    if (it == groups.end()) {
      PipelineGroup g;
      g.settings = settings;
      g.title = "matrix " + Optional(settings.matrix_size);
      g.slug = "m" + Optional(settings.matrix_size);
      auto add = [&](const std::set<std::string>& values, const std::string& name, const std::string& tag,
                     const std::string& value) {
        if (values.size() < 2) return;
        g.title += ", " + name + " " + value;
        g.slug += "-" + tag + value;
      };
      add(batches, "batch", "b", Optional(settings.batch));
      add(prefetches, "prefetch", "pf", Optional(settings.prefetch));
      add(consumers, "consumer", "c",
          settings.consumer_ms ? fmt::format("{:g}", *settings.consumer_ms) : std::string("n/a"));
      if (consumers.size() > 1) g.title += " ms";
      add(epochs, "epochs", "e", Optional(settings.epochs));
      if (args.size() > 1) {
        std::string a;
        for (const auto& x : settings.args) a += (a.empty() ? "" : " ") + x;
        g.title += a.empty() ? ", no extra flags" : ", " + a;
        g.slug += fmt::format("-a{}", std::distance(args.begin(), args.find(a)));
      }
      groups.push_back(std::move(g));
      it = groups.end() - 1;
    }
    it->cells.push_back(c);
  }

  for (auto& g : groups) {
    for (const auto& loader : loader_order) {
      for (const auto& c : g.cells) {
        if (c.config.loader == loader) {
          g.loaders.push_back(loader);
          break;
        }
      }
    }
    std::set<int64_t> counts;
    for (const auto& c : g.cells) {
      if (c.config.loader != "sync" && c.config.workers) counts.insert(*c.config.workers);
    }
    g.worker_counts.assign(counts.begin(), counts.end());
    auto rank = [&](const PipelineCell& c) {
      return std::make_pair(
          std::find(loader_order.begin(), loader_order.end(), c.config.loader) - loader_order.begin(),
          c.config.workers.value_or(0));
    };
    std::stable_sort(g.cells.begin(), g.cells.end(),
                     [&](const PipelineCell& a, const PipelineCell& b) { return rank(a) < rank(b); });
  }
  std::stable_sort(groups.begin(), groups.end(), [](const PipelineGroup& a, const PipelineGroup& b) {
    return a.settings.matrix_size.value_or(-1) < b.settings.matrix_size.value_or(-1);
  });
  return groups;
}

}  // namespace switchyard::report
