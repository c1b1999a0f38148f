#include "sim/class_demands.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/executor_model.h"

namespace switchyard {

namespace {

bool Succeeded(const TraceRequest& r) { return r.status == 0 || (r.status >= 200 && r.status < 300); }

// Requests running beside it when it arrived, itself included.
int64_t RunningAtArrival(const TraceRequest& r) {
  return std::max<int64_t>(1, r.in_system - r.queue_length + 1);
}

}  // namespace

double ClassDemand::mean_us() const {
  if (samples_us.empty()) return 0;
  return static_cast<double>(std::accumulate(samples_us.begin(), samples_us.end(), int64_t{0})) /
         static_cast<double>(samples_us.size());
}

int64_t ClassDemand::percentile_us(double q) const {
  if (samples_us.empty()) return 0;
  const double n = static_cast<double>(samples_us.size());
  const size_t k = static_cast<size_t>(std::max(1.0, std::ceil(q * n))) - 1;
  return samples_us[std::min(k, samples_us.size() - 1)];
}

int64_t ClassDemands::Decontended(const TraceRequest& r, int cores) {
  if (DemandKindOf(r.cost_class) != DemandKind::kCpu) return r.service_us;
  const double share = std::min(1.0, static_cast<double>(cores) / static_cast<double>(RunningAtArrival(r)));
  return std::max<int64_t>(1, std::llround(static_cast<double>(r.service_us) * share));
}

Result<ClassDemands> ClassDemands::FromTrace(const std::vector<TraceRequest>& trace, int cores) {
  if (cores < 1) return InvalidArgument("cores must be at least 1, got " + std::to_string(cores));
  std::map<CostClass, std::vector<const TraceRequest*>> by_class;
  for (const TraceRequest& r : trace) {
    if (Succeeded(r)) by_class[r.cost_class].push_back(&r);
  }
  if (by_class.empty()) return InvalidArgument("the trace holds no successful request to learn demands from");
  ClassDemands demands;
  for (const auto& [cost_class, requests] : by_class) {
    ClassDemand d;
    d.recorded = requests.size();
    if (DemandKindOf(cost_class) != DemandKind::kCpu) {
      d.source = "recorded";
      for (const TraceRequest* r : requests) d.samples_us.push_back(r->service_us);
    } else {
      std::vector<int64_t> alone;
      for (const TraceRequest* r : requests) {
        if (RunningAtArrival(*r) <= cores) alone.push_back(std::max<int64_t>(1, r->service_us));
      }
      if (alone.size() >= kMinUncontended && alone.size() * 10 >= requests.size()) {
        d.source = "uncontended";
        d.samples_us = std::move(alone);
      } else {
        d.source = "scaled";
        double running = 0;
        for (const TraceRequest* r : requests) {
          d.samples_us.push_back(Decontended(*r, cores));
          running += static_cast<double>(RunningAtArrival(*r));
        }
        d.mean_running = running / static_cast<double>(requests.size());
      }
    }
    std::sort(d.samples_us.begin(), d.samples_us.end());
    demands.classes_[cost_class] = std::move(d);
  }
  return demands;
}

void ClassDemands::Set(const CostClass& cost_class, std::vector<int64_t> samples_us,
                       const std::string& source) {
  ClassDemand d;
  d.samples_us = std::move(samples_us);
  std::sort(d.samples_us.begin(), d.samples_us.end());
  d.source = source;
  d.recorded = d.samples_us.size();
  classes_[cost_class] = std::move(d);
}

int64_t ClassDemands::Draw(const CostClass& cost_class, std::mt19937_64& rng) const {
  const std::vector<int64_t>& s = classes_.at(cost_class).samples_us;
  if (s.size() == 1) return s[0];
  return s[static_cast<size_t>(rng() % s.size())];
}

}  // namespace switchyard
