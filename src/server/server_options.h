// ServerOptions: everything `switchyard serve` configures a Server with.
// Plain data.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/candidates.h"
#include "control/controller.h"
#include "executor/executor.h"
#include "model/infer_json.h"
#include "predict/runtime_predictor.h"
#include "server/http_server.h"
#include "server/score_api.h"

namespace switchyard {

class PerfCounters;

struct ServerOptions {
  HttpServer::Options http;  // http.loops: the event loops (--io-threads)
  // --grpc-port: the v2 gRPC service on http.host at this port (0: a free
  // one, printed at start); none without the flag.
  std::optional<uint16_t> grpc_port;
  ExecutorConfig executor;
  ScoreLimits limits;
  InferLimits infer_limits;
  std::string admin_token;  // empty: every admin request is refused with 403
  std::chrono::milliseconds drain_timeout{30000};
  // Counters opened by `serve` before it forked anything; not owned, must
  // outlive the Server. Null: /stats reports every perf counter unavailable.
  const PerfCounters* perf_counters = nullptr;
  // Guesses each request's service time for sjf, mlfq and drr, and learns
  // from the answers. Null: the online EWMA (MakeEwmaPredictor).
  std::shared_ptr<RuntimePredictor> predictor;
  std::string trace_out;  // --trace-out: record every answered request here
  // The adaptive controller (--controller other than static): switches the
  // executor, workers and policy among `candidates` as the workload changes.
  struct Adaptive {
    ControllerOptions options;
    std::vector<Candidate> candidates;
  };
  std::optional<Adaptive> adaptive;
};

}  // namespace switchyard
