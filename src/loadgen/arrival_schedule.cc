#include "loadgen/arrival_schedule.h"

#include <cmath>
#include <string>

namespace switchyard {

std::string_view ArrivalsName(Arrivals arrivals) {
  return arrivals == Arrivals::kPoisson ? "poisson" : "constant";
}

Result<Arrivals> ParseArrivals(std::string_view name) {
  if (name == "poisson") return Arrivals::kPoisson;
  if (name == "constant") return Arrivals::kConstant;
  return InvalidArgument("arrivals must be poisson or constant, not '" + std::string(name) + "'");
}

ArrivalSchedule::ArrivalSchedule(double rate_per_s, Arrivals arrivals, uint64_t seed)
    : mean_gap_us_(1e6 / rate_per_s), arrivals_(arrivals), rng_(seed), gap_(1.0) {}

int64_t ArrivalSchedule::Next() {
  if (arrivals_ == Arrivals::kConstant) {
    // The first request goes out at once, the k-th at k / rate.
    return static_cast<int64_t>(std::llround(static_cast<double>(k_++) * mean_gap_us_));
  }
  t_us_ += gap_(rng_) * mean_gap_us_;
  return static_cast<int64_t>(std::llround(t_us_));
}

}  // namespace switchyard
