// Scheduling-policy statements: where a workload's cells differ in their
// queue policy, per configuration apart from the policy (worker count,
// executor, ...) and load point, each policy's mean queue wait against
// fifo's (or, without fifo, the first policy's), and, when the mix has
// several entries, the p99 latency of the slowest entry (the highest ok
// p50 under the baseline), e.g.
//
//   "mixed, 2 workers: sjf mean queue wait 3.10 ms vs fifo 5.20 ms (−40%),
//    slow entry p99 latency 48.0 ms vs 30.0 ms (+60%); mlfq mean queue wait ..."
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <vector>

#include "report/study.h"

namespace switchyard::report {

// Empty when the workload's cells share one policy.
std::vector<std::string> PolicyStatements(const Workload& w);

}  // namespace switchyard::report
