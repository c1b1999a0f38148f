#include "control/baseline_bandits.h"

#include <random>
#include <string_view>
#include <vector>

#include "control/bandit_random.h"
#include "control/discounted_bandit.h"

namespace switchyard {
namespace {

// The baselines choose blindly, as their definitions say: no capacity
// screen, no forgetting at a shift.
class BlindBandit : public DiscountedBandit {
 public:
  void SetExcluded(std::vector<bool> /*excluded*/) final {}
  void OnWorkloadShift(double /*keep*/) final {}

 protected:
  using DiscountedBandit::DiscountedBandit;
};

class RandomBandit final : public BlindBandit {
 public:
  RandomBandit(int arms, const BanditOptions& options)
      : BlindBandit(arms, options.discount), rng_(options.seed) {}
  std::string_view name() const override { return "random"; }
  int Choose(const BanditContext& /*context*/) override {
    const std::vector<int> enabled = stats_.Enabled();
    if (enabled.empty()) return -1;
    return enabled[static_cast<size_t>(bandit_random::UniformIndex(rng_, static_cast<int>(enabled.size())))];
  }

 private:
  std::mt19937_64 rng_;
};

class RoundRobinBandit final : public BlindBandit {
 public:
  RoundRobinBandit(int arms, const BanditOptions& options) : BlindBandit(arms, options.discount) {}
  std::string_view name() const override { return "round-robin"; }
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

 private:
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
