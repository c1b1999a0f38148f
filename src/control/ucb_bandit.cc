// ucb: discounted UCB1 (Garivier & Moulines 2011, "On upper-confidence bound
// policies for switching bandit problems"). The arm with the largest
//
//   mean + ucb_c * noise * sqrt(2 ln(total weight) / weight)
//
// where mean and weight are the arm's discounted mean and count, total
// weight their sum over the arms, and noise the pooled standard deviation of
// the rewards around their arms' means (DiscountedArms::NoiseSd). UCB1 proper
// assumes rewards in [0, 1]; measuring the bonus in noise units instead makes
// it independent of the rewards' unit and offset. An arm left alone loses
// weight to the discount, so its bonus grows until it is tried again.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "control/discounted_bandit.h"

namespace switchyard {
namespace {

class UcbBandit final : public DiscountedBandit {
 public:
  UcbBandit(int arms, const BanditOptions& options)
      : DiscountedBandit(arms, options.discount), c_(options.ucb_c) {}

  std::string_view name() const override { return "ucb"; }

  int Choose(const BanditContext& /*context*/) override {
    const int untried = stats_.FirstUntried();
    if (untried >= 0) return untried;
    const std::vector<double> bonus = Bonuses();
    std::vector<double> index(bonus.size());
    for (int i = 0; i < stats_.arms(); ++i) index[i] = stats_.mean(i) + bonus[i];
    return stats_.ArgMax(index);
  }

 private:
  std::vector<double> Bonuses() const override {
    // ln of at least e: the bonus never vanishes for lack of total weight.
    const double log_total = std::log(std::max(stats_.TotalWeight(), std::numbers::e));
    const double noise = stats_.NoiseSd();
    std::vector<double> bonus(static_cast<size_t>(stats_.arms()));
    for (int i = 0; i < stats_.arms(); ++i) {
      bonus[i] = stats_.plays(i) == 0 || stats_.weight(i) <= 0
                     ? std::numeric_limits<double>::infinity()
                     : c_ * noise * std::sqrt(2.0 * log_total / stats_.weight(i));
    }
    return bonus;
  }

  const double c_;
};

}  // namespace

std::unique_ptr<Bandit> MakeUcbBandit(int arms, const BanditOptions& options) {
  return std::make_unique<UcbBandit>(arms, options);
}

}  // namespace switchyard
