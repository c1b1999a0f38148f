// PredictorFeatures: what the runtime predictor (predict/runtime_predictor.h)
// knows about a request before it runs. Seed 002's features: the workload or
// model, the input size, the queue length, the CPU utilisation and the hour
// of day. Carried by every Job, and recorded by `serve --trace-out`.
#pragma once

#include <cstdint>
#include <string>

#include "core/cost_class.h"

namespace switchyard {

struct PredictorFeatures {
  // What the request asks for, coarse enough to learn from: cpu:2^17
  // (SHA-256 chain, iterations rounded to a power of two), io, sleep:2^4
  // (ms), model:NAME (core/cost_class.h).
  CostClass cost_class;
  int64_t input_bytes = 0;   // request body bytes
  int64_t queue_length = 0;  // jobs waiting when it was admitted
  // Requests in the server when it was admitted (queued, running, or being
  // answered), itself excluded: beyond the seed's list, what a request
  // competes with for the cores once it runs, which the queue length alone
  // does not say on a machine with more workers than idle cores.
  int64_t in_system = 0;
  double cpu_utilisation = 0;  // 0..1, the machine's, over the last second
  int hour_of_day = 0;         // 0..23, local time
};

}  // namespace switchyard
