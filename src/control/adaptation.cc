#include "control/adaptation.h"

#include <algorithm>

namespace switchyard {

std::vector<Adaptation> Adaptations(const std::vector<ServingSegment>& serving,
                                    const std::vector<PhaseSpan>& phases,
                                    const std::vector<std::set<std::string>>& good, double target_s) {
  std::vector<Adaptation> out;
  for (size_t i = 0; i < phases.size(); ++i) {
    const double s = phases[i].start_s;
    const double e = s + phases[i].duration_s;
    Adaptation a;
    double good_time = 0;
    const double target = std::min(s + target_s, e - 1e-6);
    for (const ServingSegment& seg : serving) {
      const double lo = std::max(seg.start_s, s);
      const double hi = std::min(seg.end_s, e);
      if (hi <= lo) continue;
      const bool is_good = i < good.size() && good[i].count(seg.candidate) > 0;
      if (lo <= target && target < hi) a.good_at_target = is_good;
      if (is_good) {
        good_time += hi - lo;
        if (!a.adapt_s) a.adapt_s = lo - s;
        if (!a.settle_s) a.settle_s = lo - s;
      } else {
        a.settle_s.reset();
      }
    }
    a.good_share = e > s ? good_time / (e - s) : 0;
    out.push_back(a);
  }
  return out;
}

}  // namespace switchyard
