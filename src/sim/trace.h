// A request trace: what arrived when, and how long it took to serve. The
// simulator replays it; the server will record the same format
// (--trace-out, with extra fields, which are ignored here).
//
// JSON Lines, one request a line:
//   {"arrival_us":1200,"service_us":850,"class":"mobilenet","client":"a","priority":1}
// arrival_us and service_us are required non-negative integers; class
// (default "default"), client (default "") and priority (default 0) are
// optional. Blank lines are skipped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace switchyard {

struct TraceRequest {
  int64_t arrival_us = 0;
  int64_t service_us = 0;
  std::string klass;   // "class" in the file
  std::string client;
  int64_t priority = 0;
};

// InvalidArgument naming the file, the line and the problem.
Result<std::vector<TraceRequest>> ParseTrace(std::string_view text, const std::string& name);
Result<std::vector<TraceRequest>> LoadTrace(const std::string& path);

}  // namespace switchyard
