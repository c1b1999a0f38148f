// The baselines issue 7 measures the learning controllers against, behind
// the Bandit interface so the same controller loop (dwell, logging, switch
// path) runs them:
//   random       a uniformly random enabled candidate at every decision
//   round-robin  the next enabled candidate, in order, at every decision
// Both ignore rewards for choosing; they keep discounted means (like ucb)
// only so /stats and the decision log show what each candidate earned.
// Not synchronized, deterministic for a seed (random).
#pragma once

#include <memory>

#include "control/bandit.h"

namespace switchyard {

std::unique_ptr<Bandit> MakeRandomBandit(int arms, const BanditOptions& options);
std::unique_ptr<Bandit> MakeRoundRobinBandit(int arms, const BanditOptions& options);

}  // namespace switchyard
