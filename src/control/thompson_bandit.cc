// thompson: discounted Gaussian Thompson sampling. For each enabled arm a
// mean is drawn from N(mean, noise^2 / weight) — the posterior of a Gaussian
// arm under a flat prior, with the arm's discounted mean and count and the
// pooled reward noise (DiscountedArms::NoiseSd) — and the arm with the
// largest draw is played. The noise estimate carries the rewards' unit, so
// the draws do too. An arm left alone loses weight to the discount, so its
// posterior widens until a draw wins again.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "control/bandit_random.h"
#include "control/discounted_bandit.h"

namespace switchyard {
namespace {

class ThompsonBandit final : public DiscountedBandit {
 public:
  ThompsonBandit(int arms, const BanditOptions& options)
      : DiscountedBandit(arms, options.discount), rng_(options.seed) {}

  std::string_view name() const override { return "thompson"; }

  int Choose(const BanditContext& /*context*/) override {
    const int untried = stats_.FirstUntried();
    if (untried >= 0) return untried;
    const std::vector<double> sd = Bonuses();
    std::vector<double> draw(sd.size(), 0.0);
    for (int i = 0; i < stats_.arms(); ++i) {
      if (stats_.disabled(i)) continue;
      draw[i] = stats_.mean(i) + sd[i] * bandit_random::StandardNormal(rng_);
    }
    return stats_.ArgMax(draw);
  }

 private:
  // Each arm's posterior standard deviation.
  std::vector<double> Bonuses() const override {
    const double noise = stats_.NoiseSd();
    std::vector<double> sd(static_cast<size_t>(stats_.arms()));
    for (int i = 0; i < stats_.arms(); ++i) {
      // A weight decayed to nothing (an arm unplayed for thousands of
      // updates): a posterior wide enough to win about every other draw.
      sd[i] = stats_.plays(i) == 0 ? std::numeric_limits<double>::infinity()
                                   : noise / std::sqrt(std::max(stats_.weight(i), 1e-300));
    }
    return sd;
  }

  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<Bandit> MakeThompsonBandit(int arms, const BanditOptions& options) {
  return std::make_unique<ThompsonBandit>(arms, options);
}

}  // namespace switchyard
