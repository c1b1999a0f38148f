#include "sim/sim_machine.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace switchyard {

namespace {
// Attained service within this of a task's end counts as done (rounding).
constexpr double kServiceEpsilon = 1e-6;
}  // namespace

double SimMachine::Rate() const {
  if (cpu_.empty()) return 0;
  return std::min(1.0, static_cast<double>(cores_) / static_cast<double>(cpu_.size()));
}

void SimMachine::StartCpu(TaskOwner* owner, uint64_t token, int64_t work_us) {
  cpu_.emplace(service_ + static_cast<double>(std::max<int64_t>(0, work_us)), started_++, owner, token);
}

void SimMachine::StartWait(TaskOwner* owner, uint64_t token, int64_t duration_us) {
  waits_.emplace(now_us_ + std::max<int64_t>(0, duration_us), started_++, owner, token);
}

int64_t SimMachine::NextEventUs() const {
  int64_t next = waits_.empty() ? INT64_MAX : std::get<0>(waits_.top());
  if (!cpu_.empty()) {
    const double owed = std::get<0>(cpu_.top()) - service_;
    const int64_t cpu_end =
        owed <= kServiceEpsilon ? now_us_ : now_us_ + static_cast<int64_t>(std::ceil(owed / Rate() - kServiceEpsilon));
    next = std::min(next, std::max(now_us_, cpu_end));
  }
  return next;
}

void SimMachine::AdvanceClock(int64_t t_us) {
  if (t_us <= now_us_) return;
  const double dt = static_cast<double>(t_us - now_us_);
  service_ += Rate() * dt;
  busy_core_us_ += std::min(static_cast<double>(cpu_.size()), static_cast<double>(cores_)) * dt;
  now_us_ = t_us;
}

void SimMachine::RunUntil(int64_t t_us) {
  struct Due {
    uint64_t order;
    TaskOwner* owner;
    uint64_t token;
  };
  std::vector<Due> due;
  for (;;) {
    const int64_t next = NextEventUs();
    if (next > t_us) break;
    AdvanceClock(next);
    due.clear();
    while (!waits_.empty() && std::get<0>(waits_.top()) <= now_us_) {
      const auto& [end, order, owner, token] = waits_.top();
      due.push_back({order, owner, token});
      waits_.pop();
    }
    while (!cpu_.empty() && std::get<0>(cpu_.top()) <= service_ + kServiceEpsilon) {
      const auto& [end, order, owner, token] = cpu_.top();
      due.push_back({order, owner, token});
      cpu_.pop();
    }
    std::sort(due.begin(), due.end(), [](const Due& a, const Due& b) { return a.order < b.order; });
    for (const Due& d : due) d.owner->OnTaskDone(d.token, now_us_);
  }
  AdvanceClock(t_us);
}

}  // namespace switchyard
