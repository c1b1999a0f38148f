// GET /stats: the server's figures as one JSON object — readiness, the
// configuration, the controller, replies by status, the executor's queue and
// workers, connections, latency histograms, the process tree's OS figures and
// the perf counters (docs/api.md lists every field).
//
// About 1 ms of /proc reads per call (the process tree): read now and then by
// people and studies, not per request. Thread-safe as its sources are.
#pragma once

#include <cstdint>
#include <string>

#include "control/controller.h"
#include "predict/runtime_predictor.h"
#include "server/executor_slot.h"
#include "server/python_metrics.h"
#include "server/server_metrics.h"
#include "server/server_options.h"
#include "server/server_state.h"

namespace switchyard {

// What /stats reads; every reference outlives the call.
struct StatsSources {
  const ServerOptions& options;
  const ServerState& state;
  const ExecutorSlot& slot;
  const ServerMetrics& metrics;
  const RuntimePredictor& predictor;
  const Controller* controller;  // null: static
  const PythonMetrics& python;
  uint16_t port = 0;
  int64_t uptime_us = 0;
};

std::string RenderStats(const StatsSources& sources);

}  // namespace switchyard
