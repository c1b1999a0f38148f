// RunLoad: drives HTTP load against a loopback server and measures it.
//
// Closed-loop phases keep `connections` clients busy, each sending its next
// request when the last is answered; latency runs from the actual send.
// Open-loop phases send on a schedule computed ahead from the rate
// (ArrivalSchedule); latency runs from the *scheduled* time, so a server that
// stalls cannot hide the stall by slowing the sender down (coordinated
// omission). A scheduled request that finds every connection of the pool
// busy waits for one and is counted late; one that the generator itself
// dispatched more than 1 ms late is counted as the generator's lateness.
//
// Phases run back to back on absolute deadlines; a warm-up with the first
// phase's load precedes them and is not recorded. Requests still in flight
// when the last phase ends are waited for up to the request timeout; those
// that never got an answer count as errors ("timeout", "unsent").
//
// With LoadProtocol::kGrpc every request is an infer entry sent as a v2 gRPC
// ModelInfer call (its tensor as raw_input_contents) to the target's host and
// port; each generator thread multiplexes its calls over one gRPC channel (one
// HTTP/2 connection), "connections" being calls in flight. A gRPC status is
// recorded as the HTTP status the v2 routes answer for the same condition
// (INVALID_ARGUMENT 400, NOT_FOUND 404, UNAVAILABLE 503, others 500);
// DEADLINE_EXCEEDED past --timeout is a "timeout".
//
// Each generator thread runs its own event loop with its own connections and
// its share of the load (C/T clients, or a Poisson stream of R/T: independent
// Poisson streams add up to one of rate R) and records into its own LoadStats;
// they are merged at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "core/status.h"
#include "loadgen/load_phase.h"
#include "loadgen/load_stats.h"
#include "loadgen/target_url.h"

namespace switchyard {

// A request sent more than this after its scheduled time is late.
inline constexpr int64_t kLateThresholdUs = 1000;

struct LoadProgress {
  double elapsed_s = 0;     // since the start, warm-up included
  double total_s = 0;       // planned: warm-up + phases
  bool warming_up = false;
  int phase = 0;            // 0-based, valid when not warming up
  uint64_t sent = 0;        // measured window so far, all threads
  uint64_t requests = 0;
  uint64_t errors = 0;
};

enum class LoadProtocol { kHttp, kGrpc };

struct LoadOptions {
  TargetUrl target;
  LoadProtocol protocol = LoadProtocol::kHttp;
  std::vector<LoadPhase> phases;
  int64_t warmup_us = 0;
  std::optional<uint64_t> max_requests;  // stop once this many measured requests were sent
  int threads = 1;
  uint64_t seed = 1;
  int64_t timeout_us = 10'000'000;  // per request
  // Called about once a second on the calling thread while the load runs.
  std::function<void(const LoadProgress&)> progress;
};

struct LoadResult {
  LoadStats stats{0};
  int64_t measured_us = 0;  // length of the measured window (to the last answer when stopped by count)
  int64_t measure_start_us = 0;  // when the measured window began, on SteadyClock (CLOCK_MONOTONIC)
  std::vector<int64_t> phase_us;  // each phase's actual length
  bool stopped_by_count = false;
};

// Runs the load. Unavailable when the target refuses the first connection
// (nothing is measured then); InvalidArgument for options that make no sense.
// Thread-safe; blocks the caller for the whole run.
Result<LoadResult> RunLoad(const LoadOptions& options);

}  // namespace switchyard
