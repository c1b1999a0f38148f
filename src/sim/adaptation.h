// Adaptation: how quickly a controller served a good configuration after
// each shift of the workload — bench/adaptive_eval.py's adaptation(), on a
// simulated run's serving segments.
//
// Per phase, with good = the candidates whose static reward in the phase is
// within a margin (5%) of the oracle's: adapt_s, seconds after the phase
// began until it first served a good one (none: never in this phase);
// settle_s, from when on it served good ones to the phase's end;
// good_at_target, whether it served a good one `target_s` after the phase
// began (at the end of a shorter phase); good_share, the share of the phase
// it served good ones. Pure functions: thread-safe.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/phased_run.h"

namespace switchyard {

struct Adaptation {
  std::optional<double> adapt_s;
  std::optional<double> settle_s;
  std::optional<bool> good_at_target;
  double good_share = 0;
};

std::vector<Adaptation> Adaptations(const std::vector<ServingSegment>& serving, const std::vector<PhaseFigures>& phases,
                                    const std::vector<std::set<std::string>>& good, double target_s);

}  // namespace switchyard
