#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <queue>
#include <tuple>

#include "metrics/jain_index.h"

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

// The mode a trace class stands for: what decides whether mlfq may slice it.
ScoreMode ModeOfClass(const CostClass& cost_class) {
  switch (cost_class.kind()) {
    case CostKind::kModel:
      return ScoreMode::kInfer;
    case CostKind::kIo:
      return ScoreMode::kIo;
    case CostKind::kCpu:
    case CostKind::kSleep:
      break;
  }
  return ScoreMode::kCpu;
}

// A worker's current run ends: (end time, request index, ran µs).
using RunEnd = std::tuple<int64_t, size_t, int64_t>;

}  // namespace

Result<SimulationResult> Simulate(const std::vector<TraceRequest>& trace, const std::string& policy_name,
                                  const PolicyOptions& options, int workers, const SimulationOptions& sim) {
  if (workers < 1) return InvalidArgument("workers must be at least 1, got " + std::to_string(workers));
  if (sim.prediction == SimulationOptions::Prediction::kModel && sim.model == nullptr) {
    return InvalidArgument("model prediction needs a predictor");
  }
  auto policy = CreatePolicy(policy_name, options);
  if (!policy.ok()) return policy.status();
  Policy& queue = **policy;
  std::unique_ptr<RuntimePredictor> ewma = MakeEwmaPredictor();

  // Arrival order; stable, so equal arrival times keep the trace's order.
  std::vector<size_t> order(trace.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return trace[a].arrival_us < trace[b].arrival_us; });

  auto features_of = [&](const TraceRequest& r) {
    PredictorFeatures f;
    f.cost_class = r.cost_class;
    f.input_bytes = r.input_bytes;
    f.queue_length = static_cast<int64_t>(queue.size());
    f.cpu_utilisation = r.cpu_util;
    f.hour_of_day = static_cast<int>(r.hour);
    f.in_system = r.in_system;
    return f;
  };
  auto predict = [&](const TraceRequest& r) -> int64_t {
    switch (sim.prediction) {
      case SimulationOptions::Prediction::kOracle:
        return std::max<int64_t>(1, r.service_us);
      case SimulationOptions::Prediction::kModel:
        return sim.model->PredictUs(features_of(r));
      case SimulationOptions::Prediction::kEwma:
        break;
    }
    return ewma->PredictUs(features_of(r));
  };

  SimulationResult result;
  result.wait_us.assign(trace.size(), 0);
  std::vector<int64_t> remaining_us(trace.size(), 0);  // service still owed
  std::vector<int64_t> completion_us(trace.size(), 0);
  std::priority_queue<RunEnd, std::vector<RunEnd>, std::greater<>> busy;
  int idle = workers;
  int64_t busy_time = 0;
  size_t next = 0;

  // Clients, numbered in order of appearance, and each one's runs (for the
  // service it received in the fairness window).
  std::map<std::string, size_t> client_ids;
  std::vector<size_t> client_of(trace.size());
  for (size_t i = 0; i < trace.size(); ++i) {
    client_of[i] = client_ids.try_emplace(trace[i].client, client_ids.size()).first->second;
  }
  const bool fairness = client_ids.size() >= 2;
  struct Run {
    size_t client;
    int64_t start, end;
  };
  std::vector<Run> runs;

  // A job a worker is running, kept to requeue its rest after a slice.
  std::vector<std::optional<Job>> running(trace.size());

  auto start = [&](int64_t now) {
    while (idle > 0) {
      std::optional<Job> job = queue.Pop(now);
      if (!job) return;
      const size_t i = job->id;
      const int64_t slice = queue.SliceUs(*job);
      const int64_t ran = slice > 0 ? std::min(slice, remaining_us[i]) : remaining_us[i];
      busy.emplace(now + ran, i, ran);
      busy_time += ran;
      if (fairness) runs.push_back({client_of[i], now, now + ran});
      running[i] = std::move(job);
      --idle;
    }
  };

  while (next < order.size() || !busy.empty()) {
    const int64_t arrival = next < order.size() ? trace[order[next]].arrival_us : INT64_MAX;
    const int64_t done = busy.empty() ? INT64_MAX : std::get<0>(busy.top());
    const int64_t now = std::min(arrival, done);
    while (!busy.empty() && std::get<0>(busy.top()) == now) {
      const auto [end, i, ran] = busy.top();
      busy.pop();
      ++idle;
      remaining_us[i] -= ran;
      Job job = std::move(*running[i]);
      running[i].reset();
      if (remaining_us[i] > 0) {
        // Preempted at the slice boundary: back to the queue, one slice older.
        ++result.preemptions;
        ++job.slices;
        job.attained_us += ran;
        queue.Push(std::move(job), now);
        continue;
      }
      completion_us[i] = now;
      result.makespan_us = std::max(result.makespan_us, now);
      result.wait_us[i] = now - trace[i].arrival_us - trace[i].service_us;
      if (sim.prediction == SimulationOptions::Prediction::kEwma) {
        ewma->Observe(features_of(trace[i]), trace[i].service_us);
      }
    }
    while (next < order.size() && trace[order[next]].arrival_us == now) {
      const size_t i = order[next];
      const TraceRequest& r = trace[i];
      Job job;
      job.id = i;
      job.priority = r.priority;
      job.arrival_us = now;
      job.client = r.client;
      job.features.cost_class = r.cost_class;
      job.request.mode = ModeOfClass(r.cost_class);
      job.predicted_us = predict(r);
      remaining_us[i] = r.service_us;
      queue.Push(std::move(job), now);
      ++next;
    }
    start(now);
  }

  auto summarize = [&](auto key_of) {
    std::map<std::string, std::pair<std::vector<int64_t>, int64_t>> groups;
    for (size_t i = 0; i < trace.size(); ++i) {
      auto& [waits, service] = groups[key_of(trace[i])];
      waits.push_back(result.wait_us[i]);
      service += trace[i].service_us;
    }
    std::map<std::string, WaitFigures> figures;
    for (auto& [name, entry] : groups) figures[name] = Figures(std::move(entry.first), entry.second);
    return figures;
  };
  int64_t service_total = 0;
  for (const TraceRequest& r : trace) service_total += r.service_us;
  result.all = Figures(result.wait_us, service_total);
  result.classes = summarize([](const TraceRequest& r) { return r.cost_class.text(); });
  result.clients = summarize([](const TraceRequest& r) { return r.client; });
  if (result.makespan_us > 0) {
    result.utilisation = static_cast<double>(busy_time) /
                         (static_cast<double>(workers) * static_cast<double>(result.makespan_us));
  }
  if (fairness) {
    // The window: until the first client is done with all its requests.
    std::vector<int64_t> last_completion(client_ids.size(), 0);
    for (size_t i = 0; i < trace.size(); ++i) {
      last_completion[client_of[i]] = std::max(last_completion[client_of[i]], completion_us[i]);
    }
    const int64_t window_end = *std::min_element(last_completion.begin(), last_completion.end());
    std::vector<double> service(client_ids.size(), 0);
    for (const Run& run : runs) {
      if (run.start < window_end)
        service[run.client] += static_cast<double>(std::min(run.end, window_end) - run.start);
    }
    result.jain_index = JainIndex(service).value_or(0);
  }
  return result;
}

}  // namespace switchyard
