// Crossover points: which configuration serves a workload best at each load
// point, and where that changes.
//
// At a load point the best configuration has the highest goodput; goodputs
// within `tie_fraction` (5% by default) of the highest are tied, and the tie
// goes to the lowest p99 latency (a missing p99 loses), then to the series
// shown first.
//
// Thread-safety: pure functions over values.
#pragma once

#include <string>
#include <vector>

#include "report/study.h"

namespace switchyard::report {

constexpr double kDefaultTieFraction = 0.05;

struct BestAt {
  double x = 0;
  std::string series;  // empty: no configuration reported a goodput here
  // The others whose goodput was within the tie band: the choice among them
  // fell to p99, so the statement names them.
  std::vector<std::string> tied;
  double tie_fraction = kDefaultTieFraction;
};

// One entry per load point of `w`, in ascending order.
std::vector<BestAt> BestPerLoadPoint(const Workload& w, double tie_fraction = kDefaultTieFraction);

// The statement for a workload, e.g.
//   "cpu: threads w2 is best up to 16 connections; async w2 is best from 32 connections"
//   "cpu: threads w2 is best at every load point measured"
//   "cpu: one load point only (16 connections): threads w2 is best"
// with " (goodput within 5% of: async w2)" after a claim that rested on p99.
std::string CrossoverStatement(const Workload& w, const std::vector<BestAt>& best);

}  // namespace switchyard::report
