#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <queue>

namespace switchyard {

namespace {

WaitFigures Figures(std::vector<int64_t> waits, int64_t service_total) {
  WaitFigures f;
  f.completed = static_cast<int64_t>(waits.size());
  if (waits.empty()) return f;
  const double n = static_cast<double>(waits.size());
  const double sum = static_cast<double>(std::accumulate(waits.begin(), waits.end(), int64_t{0}));
  f.mean_wait_us = sum / n;
  f.mean_sojourn_us = (sum + static_cast<double>(service_total)) / n;
  // Nearest rank: the smallest wait at or above the fraction of requests.
  auto rank = [&](double q) {
    size_t k = static_cast<size_t>(std::max(1.0, std::ceil(q * n))) - 1;
    std::nth_element(waits.begin(), waits.begin() + static_cast<std::ptrdiff_t>(k), waits.end());
    return waits[k];
  };
  f.p50_wait_us = rank(0.50);
  f.p99_wait_us = rank(0.99);
  f.max_wait_us = *std::max_element(waits.begin(), waits.end());
  return f;
}

}  // namespace

Result<SimulationResult> Simulate(const std::vector<TraceRequest>& trace, const std::string& policy_name,
                                  const PolicyOptions& options, int workers) {
  if (workers < 1) return InvalidArgument("workers must be at least 1, got " + std::to_string(workers));
  auto policy = CreatePolicy(policy_name, options);
  if (!policy.ok()) return policy.status();
  Policy& queue = **policy;

  // Arrival order; stable, so equal arrival times keep the trace's order.
  std::vector<size_t> order(trace.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return trace[a].arrival_us < trace[b].arrival_us; });

  SimulationResult result;
  result.wait_us.assign(trace.size(), 0);
  // Completion times of busy workers (min-heap).
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<>> busy;
  int idle = workers;
  int64_t busy_time = 0;
  size_t next = 0;

  auto start = [&](int64_t now) {
    while (idle > 0) {
      std::optional<Job> job = queue.Pop(now);
      if (!job) return;
      const TraceRequest& r = trace[job->id];
      result.wait_us[job->id] = now - r.arrival_us;
      busy.push(now + r.service_us);
      busy_time += r.service_us;
      --idle;
    }
  };

  while (next < order.size() || !busy.empty()) {
    const int64_t arrival = next < order.size() ? trace[order[next]].arrival_us : INT64_MAX;
    const int64_t done = busy.empty() ? INT64_MAX : busy.top();
    const int64_t now = std::min(arrival, done);
    while (!busy.empty() && busy.top() == now) {
      busy.pop();
      ++idle;
      result.makespan_us = std::max(result.makespan_us, now);
    }
    while (next < order.size() && trace[order[next]].arrival_us == now) {
      Job job;
      job.id = order[next];
      job.priority = trace[order[next]].priority;
      job.arrival_us = now;
      queue.Push(std::move(job), now);
      ++next;
    }
    start(now);
  }

  std::map<std::string, std::pair<std::vector<int64_t>, int64_t>> by_class;
  int64_t service_total = 0;
  for (size_t i = 0; i < trace.size(); ++i) {
    auto& [waits, service] = by_class[trace[i].klass];
    waits.push_back(result.wait_us[i]);
    service += trace[i].service_us;
    service_total += trace[i].service_us;
  }
  result.all = Figures(result.wait_us, service_total);
  for (auto& [name, entry] : by_class) result.classes[name] = Figures(std::move(entry.first), entry.second);
  if (result.makespan_us > 0) {
    result.utilisation = static_cast<double>(busy_time) / (static_cast<double>(workers) *
                                                           static_cast<double>(result.makespan_us));
  }
  return result;
}

}  // namespace switchyard
