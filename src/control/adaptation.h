// Adaptation: how quickly a controller served a good configuration after
// each shift of the workload — computed the same way for a live run (the
// study's report, from the decisions file) and a simulated one (the
// simulator's serving record), so the two can be compared.
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

namespace switchyard {

// Who served new requests from `start_s` to `end_s` (seconds on the
// evaluation's timeline: from the end of the warm-up).
struct ServingSegment {
  double start_s = 0;
  double end_s = 0;
  std::string candidate;
};

// A phase of the workload on the same timeline.
struct PhaseSpan {
  double start_s = 0;
  double duration_s = 0;
};

struct Adaptation {
  std::optional<double> adapt_s;
  std::optional<double> settle_s;
  std::optional<bool> good_at_target;
  double good_share = 0;
};

// One entry per phase; `good[i]`: the labels good in phase i (a missing
// entry: none).
std::vector<Adaptation> Adaptations(const std::vector<ServingSegment>& serving,
                                    const std::vector<PhaseSpan>& phases,
                                    const std::vector<std::set<std::string>>& good, double target_s);

}  // namespace switchyard
