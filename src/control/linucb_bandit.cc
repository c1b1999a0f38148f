// contextual: disjoint LinUCB (Li, Chu, Langford & Schapire 2010, "A
// contextual-bandit approach to personalized news article recommendation",
// algorithm 1). Each arm a keeps a ridge regression of y = log(reward) on
// x = (1, context):
//
//   A_a = lambda I + sum x x',   b_a = sum y x,
//   theta_a = A_a^-1 (b_a + lambda m),   m = (mean y of all arms, 0, ...)
//
// and the arm with the largest theta_a' x + alpha * noise * sqrt(x' A_a^-1 x)
// is played. Three departures from the paper, all for unbounded rewards:
//  - it models the logarithm of the reward, so differences are relative: the
//    workloads one controller sees earn rewards that differ a hundredfold
//    (py_chain's 2 to 5 against py_numpy's 100 and more, req/s over ms), and
//    on a linear scale the big ones' noise drowned the small ones' 2.5x
//    difference between arms. A reward at or below a hundredth of the mean
//    reward (a window without answers scores 0) counts as that hundredth;
//  - the ridge pulls the coefficients towards m, "this arm earns what the
//    arms earn on average, whatever the workload", rather than towards 0, so
//    a prediction from few rewards is not dragged to 0;
//  - the bonus is in units of `noise`, the root mean square of the one-step
//    prediction errors (each y against the arm's prediction just before it),
//    so alpha means the same for any workload. The errors of the first
//    rewards, before the models know anything, include the differences
//    between arms: early on the bonus is wide, then it shrinks towards the
//    reward noise.
// Multiplying every reward by a constant adds a constant to every y: the
// choices stay the same. Adding a constant to every reward does not leave
// them the same (it changes the ratios), unlike the other bandits.
// Nothing is forgotten: a workload that comes back finds its arms' models
// where it left them. A and b are at most 65 x 65 (context_dims <= 64);
// theta and x' A^-1 x come from a Cholesky factorisation of A at each use.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "control/bandit.h"

namespace switchyard {
namespace {

class LinUcbBandit final : public Bandit {
 public:
  LinUcbBandit(int arms, int context_dims, const BanditOptions& options)
      : dims_(context_dims + 1), alpha_(options.linucb_alpha), lambda_(options.linucb_lambda) {
    Arm arm;
    arm.a.assign(static_cast<size_t>(dims_ * dims_), 0.0);
    for (int i = 0; i < dims_; ++i) arm.a[i * dims_ + i] = lambda_;
    arm.b.assign(static_cast<size_t>(dims_), 0.0);
    arms_.assign(static_cast<size_t>(arms), arm);
  }

  std::string_view name() const override { return "contextual"; }
  int arms() const override { return static_cast<int>(arms_.size()); }

  int Choose(const BanditContext& context) override {
    for (int i = 0; i < arms(); ++i) {
      if (Eligible(i) && arms_[i].plays == 0) return i;
    }
    const std::vector<double> x = Features(context);
    const double noise = Noise();
    int best = -1;
    double best_index = 0;
    for (int i = 0; i < arms(); ++i) {
      if (!Eligible(i)) continue;
      const Fit fit = FitArm(arms_[i], x);
      const double index = fit.prediction + alpha_ * noise * std::sqrt(fit.variance);
      if (best < 0 || index > best_index) {
        best = i;
        best_index = index;
      }
    }
    return best;
  }

  void Update(int arm, const BanditContext& context, double reward) override {
    if (arm < 0 || arm >= arms() || arms_[arm].disabled || !std::isfinite(reward)) return;
    const std::vector<double> x = Features(context);
    Arm& a = arms_[arm];
    ++rewards_;
    mean_raw_reward_ += (reward - mean_raw_reward_) / static_cast<double>(rewards_);
    const double y = LogReward(reward);
    if (rewards_ > 1) {
      const double error = y - FitArm(a, x).prediction;
      squared_errors_ += error * error;
      ++errors_;
    }
    for (int i = 0; i < dims_; ++i) {
      for (int j = 0; j < dims_; ++j) a.a[i * dims_ + j] += x[i] * x[j];
      a.b[i] += y * x[i];
    }
    ++a.plays;
    mean_y_ += (y - mean_y_) / static_cast<double>(rewards_);
  }

  void Disable(int arm) override {
    if (arm >= 0 && arm < arms()) arms_[arm].disabled = true;
  }
  void SetExcluded(std::vector<bool> excluded) override { excluded_ = std::move(excluded); }
  // Workloads are told apart by their features: nothing to forget.
  void OnWorkloadShift(double /*keep*/) override {}

  std::vector<ArmEstimate> Estimates(const BanditContext& context) const override {
    const std::vector<double> x = Features(context);
    const double noise = Noise();
    std::vector<ArmEstimate> out;
    for (const Arm& a : arms_) {
      const Fit fit = FitArm(a, x);
      ArmEstimate e;
      e.plays = a.plays;
      e.weight = a.plays;
      // In reward units: the prediction's exponential, and how far above it
      // the optimistic index lies.
      e.mean = std::exp(fit.prediction);
      e.bonus = a.plays == 0 ? std::numeric_limits<double>::infinity()
                             : std::exp(fit.prediction + alpha_ * noise * std::sqrt(fit.variance)) - e.mean;
      e.disabled = a.disabled;
      out.push_back(e);
    }
    return out;
  }

 private:
  struct Arm {
    std::vector<double> a;  // dims_ x dims_, row-major, symmetric positive definite
    std::vector<double> b;
    int plays = 0;
    bool disabled = false;
  };
  struct Fit {
    double prediction;  // theta' x
    double variance;    // x' A^-1 x
  };

  // (1, context), padded with zeros or cut to dims_.
  std::vector<double> Features(const BanditContext& context) const {
    std::vector<double> x(static_cast<size_t>(dims_), 0.0);
    x[0] = 1.0;
    for (int i = 1; i < dims_ && i - 1 < static_cast<int>(context.size()); ++i) {
      x[i] = std::isfinite(context[i - 1]) ? context[i - 1] : 0.0;
    }
    return x;
  }

  // y of a reward: its logarithm, with rewards at or below a hundredth of
  // the mean (0 for a window without answers) counted as that hundredth.
  double LogReward(double reward) const {
    constexpr double kFloorShare = 0.01;
    const double floor = std::max(kFloorShare * mean_raw_reward_, std::numeric_limits<double>::min());
    return std::log(std::max(reward, floor));
  }

  // On the log scale: 0.1 is about 10% of the reward. The floor keeps the
  // bonus from vanishing before any error was measured.
  double Noise() const {
    constexpr double kFloor = 1e-6;
    return errors_ == 0 ? kFloor
                        : std::max(std::sqrt(squared_errors_ / static_cast<double>(errors_)), kFloor);
  }

  Fit FitArm(const Arm& arm, const std::vector<double>& x) const {
    // A = L L' (A is lambda I plus outer products: positive definite).
    const int n = dims_;
    std::vector<double> l(static_cast<size_t>(n * n), 0.0);
    for (int j = 0; j < n; ++j) {
      double d = arm.a[j * n + j];
      for (int k = 0; k < j; ++k) d -= l[j * n + k] * l[j * n + k];
      l[j * n + j] = std::sqrt(std::max(d, 1e-300));
      for (int i = j + 1; i < n; ++i) {
        double s = arm.a[i * n + j];
        for (int k = 0; k < j; ++k) s -= l[i * n + k] * l[j * n + k];
        l[i * n + j] = s / l[j * n + j];
      }
    }
    // theta = A^-1 (b + lambda m): solve L y = rhs, then L' theta = y.
    std::vector<double> rhs = arm.b;
    rhs[0] += lambda_ * mean_y_;
    const std::vector<double> theta = SolveUpperT(l, SolveLower(l, rhs));
    // x' A^-1 x = |L^-1 x|^2.
    const std::vector<double> z = SolveLower(l, x);
    Fit fit{0, 0};
    for (int i = 0; i < n; ++i) {
      fit.prediction += theta[i] * x[i];
      fit.variance += z[i] * z[i];
    }
    return fit;
  }

  std::vector<double> SolveLower(const std::vector<double>& l, const std::vector<double>& rhs) const {
    const int n = dims_;
    std::vector<double> y(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      double s = rhs[i];
      for (int k = 0; k < i; ++k) s -= l[i * n + k] * y[k];
      y[i] = s / l[i * n + i];
    }
    return y;
  }

  std::vector<double> SolveUpperT(const std::vector<double>& l, const std::vector<double>& y) const {
    const int n = dims_;
    std::vector<double> out(static_cast<size_t>(n));
    for (int i = n - 1; i >= 0; --i) {
      double s = y[i];
      for (int k = i + 1; k < n; ++k) s -= l[k * n + i] * out[k];
      out[i] = s / l[i * n + i];
    }
    return out;
  }

  const int dims_;  // context_dims + 1: the bias term first
  const double alpha_;
  const double lambda_;
  bool Eligible(int arm) const {
    return !arms_[arm].disabled && !(static_cast<size_t>(arm) < excluded_.size() && excluded_[arm]);
  }

  std::vector<Arm> arms_;
  std::vector<bool> excluded_;  // SetExcluded
  long long rewards_ = 0;
  double mean_raw_reward_ = 0;  // over every arm and context: the floor of LogReward
  double mean_y_ = 0;           // the mean log reward, likewise: the ridge's prior
  double squared_errors_ = 0;
  long long errors_ = 0;
};

}  // namespace

std::unique_ptr<Bandit> MakeLinUcbBandit(int arms, int context_dims, const BanditOptions& options) {
  return std::make_unique<LinUcbBandit>(arms, context_dims, options);
}

}  // namespace switchyard
