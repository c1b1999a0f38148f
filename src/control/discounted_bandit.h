// DiscountedBandit: every Bandit method that is only bookkeeping on the
// per-arm discounted statistics (control/discounted_arms.h) — arms, Update,
// Disable, SetExcluded, OnWorkloadShift, Estimates — for the bandits that
// keep them: epsilon-greedy, ucb, thompson and the random and round-robin
// baselines. A subclass says its name, chooses, and may report an
// exploration term per arm (Bonuses).
//
// Not synchronized, as Bandit.
#pragma once

#include <utility>
#include <vector>

#include "control/bandit.h"
#include "control/discounted_arms.h"

namespace switchyard {

class DiscountedBandit : public Bandit {
 public:
  int arms() const final { return stats_.arms(); }
  void Update(int arm, const BanditContext& /*context*/, double reward) override { stats_.Add(arm, reward); }
  void Disable(int arm) final { stats_.Disable(arm); }
  void SetExcluded(std::vector<bool> excluded) override { stats_.SetExcluded(std::move(excluded)); }
  void OnWorkloadShift(double keep) override { stats_.Shrink(keep); }
  // The statistics, with each arm's bonus from Bonuses().
  std::vector<ArmEstimate> Estimates(const BanditContext& /*context*/) const final {
    std::vector<ArmEstimate> estimates = stats_.Estimates();
    const std::vector<double> bonus = Bonuses();
    for (size_t i = 0; i < estimates.size() && i < bonus.size(); ++i) estimates[i].bonus = bonus[i];
    return estimates;
  }

 protected:
  DiscountedBandit(int arms, double discount) : stats_(arms, discount) {}
  // The exploration term of every arm in reward units (ArmEstimate::bonus);
  // none by default.
  virtual std::vector<double> Bonuses() const { return {}; }

  DiscountedArms stats_;
};

}  // namespace switchyard
