// The charts of one workload of a server study, each as a standalone SVG
// file and as the same chart for the page:
//
//   <slug>-throughput-vs-p99.svg   throughput against p99, a point per load point
//   <slug>-latency-vs-load.svg     p50 and p99 against the offered load
//   <slug>-cpu-per-request.svg     bars per load point: CPU time per request,
//   <slug>-ctxsw-per-request.svg   context switches per request,
//   <slug>-pss.svg                 PSS of the server's process tree
//   <slug>-throughput-vs-workers.svg, <slug>-p99-vs-workers.svg
//                                  where the cells differ in worker count: a
//                                  line per configuration apart from the
//                                  workers (and per load point, the lower
//                                  ones dashed)
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <vector>

#include "report/document.h"
#include "report/study.h"

namespace switchyard::report {

std::vector<ChartFile> WorkloadCharts(const Workload& w, const std::string& slug);

}  // namespace switchyard::report
