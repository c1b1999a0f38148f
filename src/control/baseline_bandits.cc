#include "control/baseline_bandits.h"

#include <random>
#include <string_view>
#include <vector>

#include "control/bandit_random.h"
#include "control/discounted_arms.h"

namespace switchyard {
namespace {

class RandomBandit final : public Bandit {
 public:
  RandomBandit(int arms, const BanditOptions& options) : stats_(arms, options.discount), rng_(options.seed) {}
  std::string_view name() const override { return "random"; }
  int arms() const override { return stats_.arms(); }
  int Choose(const BanditContext& /*context*/) override {
    const std::vector<int> enabled = stats_.Enabled();
    if (enabled.empty()) return -1;
    return enabled[static_cast<size_t>(bandit_random::UniformIndex(rng_, static_cast<int>(enabled.size())))];
  }
  void Update(int arm, const BanditContext& /*context*/, double reward) override { stats_.Add(arm, reward); }
  void Disable(int arm) override { stats_.Disable(arm); }
  void SetExcluded(std::vector<bool> /*excluded*/) override {}  // blind by definition
  void OnWorkloadShift(double /*keep*/) override {}
  std::vector<ArmEstimate> Estimates(const BanditContext& /*context*/) const override { return stats_.Estimates(); }

 private:
  DiscountedArms stats_;
  std::mt19937_64 rng_;
};

class RoundRobinBandit final : public Bandit {
 public:
  RoundRobinBandit(int arms, const BanditOptions& options) : stats_(arms, options.discount) {}
  std::string_view name() const override { return "round-robin"; }
  int arms() const override { return stats_.arms(); }
  int Choose(const BanditContext& /*context*/) override {
    const std::vector<int> enabled = stats_.Enabled();
    if (enabled.empty()) return -1;
    // The first enabled arm after the last one played (or chosen), cyclically.
    for (int arm : enabled) {
      if (arm > last_) return last_ = arm;
    }
    return last_ = enabled.front();
  }
  void Update(int arm, const BanditContext& /*context*/, double reward) override {
    stats_.Add(arm, reward);
    last_ = arm;
  }
  void Disable(int arm) override { stats_.Disable(arm); }
  void SetExcluded(std::vector<bool> /*excluded*/) override {}  // blind by definition
  void OnWorkloadShift(double /*keep*/) override {}
  std::vector<ArmEstimate> Estimates(const BanditContext& /*context*/) const override { return stats_.Estimates(); }

 private:
  DiscountedArms stats_;
  int last_ = -1;
};

}  // namespace

std::unique_ptr<Bandit> MakeRandomBandit(int arms, const BanditOptions& options) {
  return std::make_unique<RandomBandit>(arms, options);
}

std::unique_ptr<Bandit> MakeRoundRobinBandit(int arms, const BanditOptions& options) {
  return std::make_unique<RoundRobinBandit>(arms, options);
}

}  // namespace switchyard
