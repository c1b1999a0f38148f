#include "server/python_metrics.h"

#include "server/histogram_json.h"

namespace switchyard {
namespace {

double Share(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

}  // namespace

void PythonMetrics::Model::Record(int64_t service, int64_t gil_wait, int64_t gil_hold) {
  requests.fetch_add(1, std::memory_order_relaxed);
  if (gil_wait < 0 || gil_hold < 0) return;
  measured.fetch_add(1, std::memory_order_relaxed);
  service_us.fetch_add(service, std::memory_order_relaxed);
  gil_wait_us.fetch_add(gil_wait, std::memory_order_relaxed);
  gil_hold_us.fetch_add(gil_hold, std::memory_order_relaxed);
  wait_us.Record(gil_wait);
  hold_us.Record(gil_hold);
}

PythonMetrics::PythonMetrics(const ModelRepository* models) {
  if (models == nullptr) return;
  for (const auto& [name, m] : models->models()) {
    for (const auto& [number, v] : m.versions) {
      if (v.ready() && v.backend == BackendKind::kPython) {
        models_.emplace(name, std::make_unique<Model>());
        break;
      }
    }
  }
}

PythonMetrics::Model* PythonMetrics::Find(const std::string& name) const {
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : it->second.get();
}

void PythonMetrics::Reset() const {
  for (const auto& [name, m] : models_) {
    m->requests.store(0, std::memory_order_relaxed);
    m->measured.store(0, std::memory_order_relaxed);
    m->service_us.store(0, std::memory_order_relaxed);
    m->gil_wait_us.store(0, std::memory_order_relaxed);
    m->gil_hold_us.store(0, std::memory_order_relaxed);
    m->wait_us.Reset();
    m->hold_us.Reset();
  }
}

nlohmann::json PythonMetrics::Json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, m] : models_) {
    const int64_t service = m->service_us.load(std::memory_order_relaxed);
    out[name] = {{"requests", m->requests.load(std::memory_order_relaxed)},
                 {"gil_measured_requests", m->measured.load(std::memory_order_relaxed)},
                 {"gil_held_share", Share(m->gil_hold_us.load(std::memory_order_relaxed), service)},
                 {"gil_wait_share", Share(m->gil_wait_us.load(std::memory_order_relaxed), service)},
                 {"gil_wait_us", HistogramJson(m->wait_us)},
                 {"gil_hold_us", HistogramJson(m->hold_us)}};
  }
  return out;
}

}  // namespace switchyard
