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
// and, with any mode, an optional "priority" (a non-negative integer for the
// priority policy), stored in `*priority` when that is given.
// Unknown fields are ignored, so clients may send more.
// InvalidArgument names the field and the problem.
Result<ScoreRequest> ParseScoreRequest(std::string_view body, const ScoreLimits& limits,
                                       int64_t* priority = nullptr);

// {"ok":true,"result":...,"timing":{"queue_us":...,"service_us":...}}
std::string RenderScoreReply(const ScoreOutcome& outcome);

// {"error":"message"}
std::string RenderError(std::string_view message);

}  // namespace switchyard
