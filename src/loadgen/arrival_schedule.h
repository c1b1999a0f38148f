// ArrivalSchedule: when an open-loop load generator means to send each
// request. Times are computed ahead from the rate alone, never from how fast
// the server answers: a request that goes out late still has its latency
// measured from its scheduled time (the coordinated-omission correction).
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

#include "core/status.h"

namespace switchyard {

enum class Arrivals { kPoisson, kConstant };
std::string_view ArrivalsName(Arrivals arrivals);
Result<Arrivals> ParseArrivals(std::string_view name);

// A deterministic stream of send times for one seed. Not thread-safe: one per
// sending thread (independent Poisson streams of rate R/T from T threads add
// up to one Poisson stream of rate R).
class ArrivalSchedule {
 public:
  // `rate_per_s` > 0.
  ArrivalSchedule(double rate_per_s, Arrivals arrivals, uint64_t seed);

  // Microseconds from the start of the schedule to the next send, strictly
  // non-decreasing. Poisson: exponential gaps of mean 1/rate; constant:
  // exactly k/rate for the k-th request (no accumulated rounding drift).
  int64_t Next();

 private:
  const double mean_gap_us_;
  const Arrivals arrivals_;
  std::mt19937_64 rng_;
  std::exponential_distribution<double> gap_;
  double t_us_ = 0;
  uint64_t k_ = 0;
};

}  // namespace switchyard
