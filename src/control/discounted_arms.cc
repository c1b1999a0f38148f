#include "control/discounted_arms.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace switchyard {

DiscountedArms::DiscountedArms(int arms, double discount)
    : arms_(static_cast<size_t>(arms)), discount_(discount) {}

void DiscountedArms::Add(int arm, double reward) {
  if (arm < 0 || arm >= arms() || arms_[arm].disabled || !std::isfinite(reward)) return;
  if (discount_ < 1.0) {
    for (Arm& a : arms_) {
      a.weight *= discount_;
      a.squares *= discount_;
    }
  }
  // Welford's update with weights: the new reward weighs 1.
  Arm& a = arms_[arm];
  const double delta = reward - a.mean;
  a.weight += 1.0;
  a.mean += delta / a.weight;
  a.squares += delta * (reward - a.mean);
  ++a.plays;
  ++updates_;
}

void DiscountedArms::Shrink(double keep) {
  keep = std::clamp(keep, 0.0, 1.0);
  for (Arm& a : arms_) {
    a.weight *= keep;
    a.squares *= keep;
  }
}

void DiscountedArms::Disable(int arm) {
  if (arm >= 0 && arm < arms()) arms_[arm].disabled = true;
}

int DiscountedArms::FirstUntried() const {
  for (int i = 0; i < arms(); ++i) {
    if (eligible(i) && arms_[i].plays == 0) return i;
  }
  return -1;
}

int DiscountedArms::ArgMax(const std::vector<double>& score) const {
  int best = -1;
  for (int i = 0; i < arms(); ++i) {
    if (!eligible(i)) continue;
    if (best < 0 || score[i] > score[best]) best = i;
  }
  return best;
}

std::vector<int> DiscountedArms::Enabled() const {
  std::vector<int> enabled;
  for (int i = 0; i < arms(); ++i) {
    if (!arms_[i].disabled) enabled.push_back(i);
  }
  return enabled;
}

std::vector<int> DiscountedArms::Eligible() const {
  std::vector<int> eligible_arms;
  for (int i = 0; i < arms(); ++i) {
    if (eligible(i)) eligible_arms.push_back(i);
  }
  return eligible_arms;
}

double DiscountedArms::TotalWeight() const {
  double total = 0;
  for (const Arm& a : arms_) total += a.weight;
  return total;
}

double DiscountedArms::NoiseSd() const {
  double weight = 0, weighted_sum = 0, within = 0, dof = 0, largest = 0;
  for (const Arm& a : arms_) {
    if (a.plays == 0) continue;
    weight += a.weight;
    weighted_sum += a.weight * a.mean;
    within += a.squares;
    dof += std::max(a.weight - 1.0, 0.0);
    largest = std::max(largest, std::abs(a.mean));
  }
  const double floor = 1e-6 * largest;
  if (weight <= 0) return floor;
  const double grand = weighted_sum / weight;
  double between = 0;
  for (const Arm& a : arms_) {
    if (a.plays > 0) between += a.weight * (a.mean - grand) * (a.mean - grand);
  }
  const double prior = (within + between) / weight;
  return std::max(std::sqrt((within + prior) / (dof + 1.0)), floor);
}

std::vector<ArmEstimate> DiscountedArms::Estimates() const {
  std::vector<ArmEstimate> out;
  out.reserve(arms_.size());
  for (const Arm& a : arms_) {
    ArmEstimate e;
    e.plays = a.plays;
    e.weight = a.weight;
    e.mean = a.mean;
    e.bonus = a.plays == 0 ? std::numeric_limits<double>::infinity() : 0.0;
    e.disabled = a.disabled;
    out.push_back(e);
  }
  return out;
}

}  // namespace switchyard
