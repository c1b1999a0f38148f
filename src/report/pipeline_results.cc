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

std::string ArgsText(const std::vector<std::string>& args) {
  std::string a;
  for (const auto& x : args) a += (a.empty() ? "" : " ") + x;
  return a;
}

std::string ConsumerText(const Figure& consumer_ms) {
  return consumer_ms ? fmt::format("{:g}", *consumer_ms) : std::string("n/a");
}

// The values each setting other than the matrix size takes across the
// study: those that take several name a group beside its matrix size.
struct Varying {
  std::set<std::string> batches, prefetches, consumers, epochs, args;

  explicit Varying(const std::vector<PipelineCell>& cells) {
    for (const auto& c : cells) {
      batches.insert(Optional(c.config.batch));
      prefetches.insert(Optional(c.config.prefetch));
      consumers.insert(ConsumerText(c.config.consumer_ms));
      epochs.insert(Optional(c.config.epochs));
      args.insert(ArgsText(c.config.args));
    }
  }
};

// A new group for `settings`: its title and slug.
PipelineGroup GroupOf(const PipelineConfig& settings, const Varying& varying) {
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
  add(varying.batches, "batch", "b", Optional(settings.batch));
  add(varying.prefetches, "prefetch", "pf", Optional(settings.prefetch));
  add(varying.consumers, "consumer", "c", ConsumerText(settings.consumer_ms));
  if (varying.consumers.size() > 1) g.title += " ms";
  add(varying.epochs, "epochs", "e", Optional(settings.epochs));
  if (varying.args.size() > 1) {
    const std::string a = ArgsText(settings.args);
    g.title += a.empty() ? ", no extra flags" : ", " + a;
    g.slug += fmt::format("-a{}", std::distance(varying.args.begin(), varying.args.find(a)));
  }
  return g;
}

// A group's loaders in the study's order, its worker counts ascending, its
// cells by loader, then workers.
void OrderGroup(const std::vector<std::string>& loader_order, PipelineGroup& g) {
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
  const Varying varying(cells);
  std::vector<std::string> loader_order;
  for (const auto& c : cells) {
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
      groups.push_back(GroupOf(settings, varying));
      it = groups.end() - 1;
    }
    it->cells.push_back(c);
  }
  for (auto& g : groups) OrderGroup(loader_order, g);
  std::stable_sort(groups.begin(), groups.end(), [](const PipelineGroup& a, const PipelineGroup& b) {
    return a.settings.matrix_size.value_or(-1) < b.settings.matrix_size.value_or(-1);
  });
  return groups;
}

}  // namespace switchyard::report
