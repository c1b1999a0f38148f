// The JSON shapes of POST /score (seed 003) and of every error reply.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/request.h"

namespace switchyard {

struct ScoreLimits {
  uint64_t max_iters = 10'000'000;
  uint32_t max_sleep_ms = 60'000;
};

// Parses and validates a /score body:
//   {"mode":"cpu","iters":N,"data":"..."}  (data optional, default "")
//   {"mode":"io","key":K}
//   {"mode":"sleep","ms":M}
// and, with any mode, the optional scheduling fields of ScoreScheduling,
// stored in `*scheduling` when given.
// Unknown fields are ignored, so clients may send more.
// InvalidArgument names the field and the problem.
struct ScoreScheduling {
  int64_t priority = 0;    // "priority": a non-negative integer (priority policy)
  int64_t timeout_us = 0;  // "timeout_us": a positive integer; queued longer -> 504
  std::string client;      // "client": drr's client id (the X-Client-Id header wins)
};
Result<ScoreRequest> ParseScoreRequest(std::string_view body, const ScoreLimits& limits,
                                       ScoreScheduling* scheduling = nullptr);

// A client id as drr and the trace take it: 1..64 of [A-Za-z0-9_.-].
// InvalidArgument naming `where` otherwise.
Status ValidateClientId(std::string_view id, std::string_view where);

// {"ok":true,"result":...,"timing":{"queue_us":...,"service_us":...}}
std::string RenderScoreReply(const ScoreOutcome& outcome);

}  // namespace switchyard
