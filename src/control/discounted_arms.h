// DiscountedArms: the per-arm reward statistics the epsilon-greedy, ucb and
// thompson bandits share: a discounted count, mean and sum of squared
// deviations per arm, and the reward noise pooled over the arms.
//
// Not synchronized (owned by one bandit).
#pragma once

#include <utility>
#include <vector>

#include "control/bandit.h"

namespace switchyard {

class DiscountedArms {
 public:
  DiscountedArms(int arms, double discount);

  int arms() const { return static_cast<int>(arms_.size()); }
  bool disabled(int arm) const { return arms_[arm].disabled; }
  int plays(int arm) const { return arms_[arm].plays; }
  double weight(int arm) const { return arms_[arm].weight; }
  double mean(int arm) const { return arms_[arm].mean; }
  // Updates counted, ever.
  long long updates() const { return updates_; }

  // Multiplies every arm's weight and squared deviations by the discount
  // (means are unchanged), then adds `reward` with weight 1 to `arm`.
  // Ignores an arm out of range or disabled and a reward that is not finite.
  void Add(int arm, double reward);
  void Disable(int arm);
  // Bandit::SetExcluded: the arms FirstUntried, ArgMax and Eligible pass over.
  void SetExcluded(std::vector<bool> excluded) { excluded_ = std::move(excluded); }
  // Multiplies every arm's weight and squared deviations by `keep` (clamped
  // to 0..1); means and plays are unchanged.
  void Shrink(double keep);

  // The lowest-numbered eligible (enabled, not excluded) arm never played, or -1.
  int FirstUntried() const;
  // The eligible arm with the largest score[arm] (ties: the lowest number), or
  // -1 when none is. `score` has one entry per arm.
  int ArgMax(const std::vector<double>& score) const;
  // The enabled arms, in order (excluded ones too: for the blind baselines).
  std::vector<int> Enabled() const;
  // The eligible arms, in order.
  std::vector<int> Eligible() const;
  bool eligible(int arm) const { return !arms_[arm].disabled && !excluded(arm); }
  // Sum of the weights of all arms.
  double TotalWeight() const;

  // The standard deviation of a reward around its arm's mean: the squared
  // deviations pooled over the arms, with the variance of all rewards
  // (between arms included) as a prior worth one observation, so the first
  // rounds, when no arm has two rewards yet, explore on the scale of the
  // rewards' spread rather than not at all. At least 1e-6 of the largest
  // |mean|; 0 before any reward.
  double NoiseSd() const;

  // plays, weight, mean, disabled; bonus 0 (infinite for an arm never
  // played: it is chosen first).
  std::vector<ArmEstimate> Estimates() const;

 private:
  struct Arm {
    int plays = 0;
    double weight = 0;
    double mean = 0;
    double squares = 0;  // discounted sum of squared deviations from mean
    bool disabled = false;
  };
  bool excluded(int arm) const { return static_cast<size_t>(arm) < excluded_.size() && excluded_[arm]; }

  std::vector<Arm> arms_;
  std::vector<bool> excluded_;
  double discount_;
  long long updates_ = 0;
};

}  // namespace switchyard
