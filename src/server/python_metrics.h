// PythonMetrics: what the GIL cost each Python model — /stats "python".
//
// Per model: requests, the GIL wait and hold of each request (histograms,
// microseconds; model/model_backend.h's InferStats says how they are
// measured), and the GIL-held share of service time (the sum of holds over
// the sum of service times): near 1 for a model that holds the GIL, near 0
// for one that releases it in C code — the figure that predicts how well it
// serves under threads.
//
// The models are fixed when the server starts (the repository's Python
// models); every figure is an atomic or a histogram: Record from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "metrics/latency_histogram.h"
#include "model/model_repository.h"

namespace switchyard {

class PythonMetrics {
 public:
  struct Model {
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> measured{0};   // requests whose GIL figures were measured
    std::atomic<int64_t> service_us{0};  // sums over the measured requests
    std::atomic<int64_t> gil_wait_us{0};
    std::atomic<int64_t> gil_hold_us{0};
    LatencyHistogram wait_us;
    LatencyHistogram hold_us;

    // One request's figures (a ScoreOutcome's; -1: not measured, e.g. a
    // coroutine on an asyncio loop, counted as a request only).
    void Record(int64_t service, int64_t gil_wait, int64_t gil_hold);
  };

  // One entry per Python model of `models` (may be null: none).
  explicit PythonMetrics(const ModelRepository* models);

  // The entry of model `name`, or null when it is not a Python model.
  Model* Find(const std::string& name) const;
  // Starts a measuring window (/admin/stats/reset): every figure to zero.
  void Reset() const;
  bool empty() const { return models_.empty(); }

  // {"<model>": {"requests", "gil_measured_requests", "gil_held_share", "gil_wait_share",
  //  "gil_wait_us": {histogram}, "gil_hold_us": {histogram}}, ...}.
  nlohmann::json Json() const;

 private:
  std::map<std::string, std::unique_ptr<Model>, std::less<>> models_;  // fixed after construction
};

}  // namespace switchyard
