// epsilon-greedy, seed 002's meta-scheduler: with probability epsilon a
// uniformly random enabled arm (the best one included), otherwise the arm
// with the best mean. Seed 002 averages an arm's last 100 rewards; here the
// mean is discounted instead (memory about 1 / (1 - discount) updates), the
// same statistics ucb and thompson keep.
#include <random>
#include <vector>

#include "control/bandit_random.h"
#include "control/discounted_bandit.h"

namespace switchyard {
namespace {

class EpsilonGreedyBandit final : public DiscountedBandit {
 public:
  EpsilonGreedyBandit(int arms, const BanditOptions& options)
      : DiscountedBandit(arms, options.discount),
        epsilon_(options.epsilon),
        decay_(options.epsilon_decay),
        rng_(options.seed) {}

  std::string_view name() const override { return "epsilon-greedy"; }

  int Choose(const BanditContext& /*context*/) override {
    const int untried = stats_.FirstUntried();
    if (untried >= 0) return untried;
    const std::vector<int> eligible = stats_.Eligible();
    if (eligible.empty()) return -1;
    const double epsilon = epsilon_ / (1.0 + decay_ * static_cast<double>(stats_.updates()));
    if (bandit_random::Uniform01(rng_) < epsilon) {
      return eligible[bandit_random::UniformIndex(rng_, static_cast<int>(eligible.size()))];
    }
    std::vector<double> means(static_cast<size_t>(stats_.arms()));
    for (int i = 0; i < stats_.arms(); ++i) means[i] = stats_.mean(i);
    return stats_.ArgMax(means);
  }

 private:
  const double epsilon_;
  const double decay_;
  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<Bandit> MakeEpsilonGreedyBandit(int arms, const BanditOptions& options) {
  return std::make_unique<EpsilonGreedyBandit>(arms, options);
}

}  // namespace switchyard
