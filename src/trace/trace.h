// A request trace: what arrived when, and how long it took to serve. The
// simulator replays it; `serve --trace-out` records it; `train-predictor`
// learns service times from it.
//
// JSON Lines, one request a line:
//   {"arrival_us":1200,"service_us":850,"class":"model:mobilenet","client":"a","priority":1}
// arrival_us and service_us are required non-negative integers; class
// (default "default"), client (default "") and priority (default 0) are
// optional. Blank lines are skipped.
//
// The server's recording adds the predictor's features and what happened:
//   "queue_us":…       admitted -> started (µs)
//   "input_bytes":…    request body bytes
//   "queue_length":…   jobs waiting when it was admitted
//   "cpu_util":0.42    the machine's CPU utilisation over the last second, 0..1
//   "hour":13          local hour of day at arrival, 0..23
//   "in_system":3      other requests in the server at arrival
//   "status":200       the HTTP status it was answered with
// Optional when reading; other fields are ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/cost_class.h"
#include "core/status.h"

namespace switchyard {

struct TraceRequest {
  int64_t arrival_us = 0;
  int64_t service_us = 0;
  CostClass cost_class = CostClass::Parse("default");  // "class" in the file
  std::string client;
  int64_t priority = 0;
  // Recorded by the server (0 when absent).
  int64_t queue_us = 0;
  int64_t input_bytes = 0;
  int64_t queue_length = 0;
  double cpu_util = 0;
  int64_t hour = 0;
  int64_t in_system = 0;
  int64_t status = 0;
};

// InvalidArgument naming the file, the line and the problem.
Result<std::vector<TraceRequest>> ParseTrace(std::string_view text, const std::string& name);
Result<std::vector<TraceRequest>> LoadTrace(const std::string& path);

}  // namespace switchyard
