// Bandit: how the adaptive controller picks the next configuration to run.
//
// Each candidate configuration is an arm, numbered 0..arms-1. The controller
// asks Choose() for an arm, runs that configuration for one observation
// window, and reports the window's reward with Update(). Four algorithms:
//
//   epsilon-greedy  seed 002's: a random arm with probability epsilon, else
//                   the arm with the best (discounted) mean reward.
//   ucb             discounted UCB1 (Garivier & Moulines' D-UCB) with the
//                   bonus in units of the observed reward noise.
//   thompson        discounted Gaussian Thompson sampling: each arm's mean is
//                   drawn from N(mean, noise^2 / weight).
//   contextual      disjoint LinUCB (Li et al. 2010): one ridge regression of
//                   the reward on the context (plus a bias term) per arm, so
//                   a workload seen before is recognised and its best arm
//                   played again without re-exploring.
//
// Rewards are unbounded and their scale depends on the workload (seed 002's
// throughput / (1 + p99) is req/s over ms), so no algorithm assumes a range:
// every exploration term is measured in units of the observed reward noise,
// a standard deviation estimated from the rewards themselves (pooled within
// arms, or from LinUCB's prediction errors). Scaling every reward by a
// positive factor scales the estimates and leaves the choices unchanged (up
// to rounding; exactly for a power-of-two factor), and so does shifting
// every reward by a constant — except for the contextual bandit, which
// models the reward's logarithm (ratios between arms, whatever the
// workload's scale; linucb_bandit.cc).
//
// Non-stationarity: the workload shifts between phases, so the three
// non-contextual bandits forget. Every Update multiplies the accumulated
// statistics of every arm by `discount` before adding the new reward: an
// observation k updates old weighs discount^k, the memory is about
// 1 / (1 - discount) updates in all (100 at the default 0.99, seed 002's
// "last 100"). Because an arm that is not played loses weight, its
// uncertainty grows back and ucb and thompson try it again, which is how they
// notice that an arm has become better. discount = 1 keeps everything
// (stationary rewards: logarithmic regret for ucb and thompson). The
// contextual bandit does not forget: it tells workloads apart by their
// features instead.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace switchyard {

// Workload features observed in the window before a choice (request rate,
// mix of model classes, load, ...), always `context_dims` values long.
// Non-contextual bandits ignore it. The contextual bandit regularises every
// coefficient alike, so give features a comparable scale, about 0..1
// (shares, or a rate divided by a nominal rate); it adds the bias term
// itself.
using BanditContext = std::vector<double>;

// What a bandit believes about one arm, for logs and /stats.
struct ArmEstimate {
  int plays = 0;      // Updates with a reward for this arm, ever
  double weight = 0;  // the same count discounted (contextual: = plays)
  double mean = 0;    // estimated reward (contextual: exp of the log reward predicted for the context)
  double bonus = 0;   // exploration term in reward units: ucb its bonus,
                      // thompson the posterior standard deviation,
                      // contextual exp(log prediction + alpha * noise *
                      // sqrt(x' A^-1 x)) - mean;
                      // epsilon-greedy 0. Infinite for an arm never played.
  bool disabled = false;
};

struct BanditOptions {
  // epsilon-greedy: the probability of a uniformly random arm (seed 002: 0.1).
  // After t updates it is epsilon / (1 + epsilon_decay * t): 0 keeps it
  // constant (the default: a shifted workload is noticed by exploring); > 0
  // decays it like 1/t (stationary rewards: logarithmic regret).
  double epsilon = 0.1;
  double epsilon_decay = 0;
  // ucb: index = mean + ucb_c * noise * sqrt(2 ln(total weight) / weight).
  // 1 is UCB1 for rewards with standard deviation `noise`.
  double ucb_c = 1.0;
  // epsilon-greedy, ucb, thompson: per-update forgetting factor in (0, 1];
  // see the top of this file.
  double discount = 0.99;
  // contextual: index = prediction + linucb_alpha * noise * sqrt(x' A^-1 x),
  // on the log-reward scale.
  double linucb_alpha = 1.0;
  // contextual: the ridge. Each arm's coefficients start at "the mean log
  // reward of all arms so far, whatever the context", worth linucb_lambda
  // observations.
  double linucb_lambda = 1.0;
  // Seeds the bandit's own std::mt19937_64 (epsilon-greedy and thompson draw
  // from it; ucb and contextual are deterministic without it).
  uint64_t seed = 1;

  // InvalidArgument naming the bad field.
  Status Validate() const;
};

// Not synchronized: the controller's one thread owns a bandit and calls it.
//
// Deterministic: the same options (seed included) and the same sequence of
// calls give the same choices, on any platform (the random draws are made
// from the generator's raw output, not from <random>'s distributions, whose
// algorithms the standard leaves open).
class Bandit {
 public:
  virtual ~Bandit() = default;
  virtual std::string_view name() const = 0;
  virtual int arms() const = 0;

  // The arm to run next: never a disabled one. While an enabled arm has never
  // been updated, the lowest-numbered such arm (every arm is tried once
  // first, by all four bandits). Ties go to the lowest number. -1 when every
  // arm is disabled. `context` must hold context_dims values (the
  // contextual bandit reads missing and non-finite ones as 0 and ignores
  // extra ones).
  virtual int Choose(const BanditContext& context) = 0;

  // Arm `arm`, run in a window whose workload had `context`, earned `reward`.
  // Ignored for an arm out of range or disabled, and for a reward that is
  // not finite (NaN, inf): such a window carries no information to average.
  virtual void Update(int arm, const BanditContext& context, double reward) = 0;

  // `arm` will never be chosen again (a candidate that failed to start).
  // There is no way back. Out of range: ignored.
  virtual void Disable(int arm) = 0;

  // Until the next call, Choose() passes over the arms whose entry is true
  // (the controller's capacity screen: candidates that cannot carry the
  // current load), as if disabled — but reversibly, and an excluded arm
  // still learns from Update(). An empty or short vector excludes nothing
  // (beyond its length). When every enabled arm is excluded, Choose()
  // returns -1. The random and round-robin baselines ignore it: they choose
  // blindly, as their definitions say.
  virtual void SetExcluded(std::vector<bool> excluded) = 0;

  // The workload has shifted (the controller saw its mix change): what was
  // learnt describes another workload. The discounting bandits multiply every
  // arm's weight by `keep` (0..1), keeping the means as a prior that the next
  // rewards quickly outweigh — their uncertainty grows back, so they try the
  // arms again. The contextual bandit ignores it: it tells workloads apart by
  // their features and keeps what it knows of each. The baselines ignore it.
  virtual void OnWorkloadShift(double keep) = 0;

  // One entry per arm, in arm order; for the contextual bandit, as seen in
  // `context`.
  virtual std::vector<ArmEstimate> Estimates(const BanditContext& context) const = 0;
};

// "epsilon-greedy", "ucb", "thompson", "contextual".
std::vector<std::string_view> BanditNames();

// InvalidArgument naming `name` and the known names when it is not one of
// them; naming the problem when arms < 1 or > 4096, context_dims < 0 or > 64,
// or `options` does not Validate().
Result<std::unique_ptr<Bandit>> MakeBandit(std::string_view name, int arms, int context_dims,
                                           const BanditOptions& options = {});

// The implementations, for arguments MakeBandit has checked.
std::unique_ptr<Bandit> MakeEpsilonGreedyBandit(int arms, const BanditOptions& options);
std::unique_ptr<Bandit> MakeUcbBandit(int arms, const BanditOptions& options);
std::unique_ptr<Bandit> MakeThompsonBandit(int arms, const BanditOptions& options);
std::unique_ptr<Bandit> MakeLinUcbBandit(int arms, int context_dims, const BanditOptions& options);

}  // namespace switchyard
