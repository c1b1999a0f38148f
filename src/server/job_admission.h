// JobAdmission: where a parsed request becomes a Job in the executor
// serving now — the admission step both /score and the v2 infer route take.
//
// Submit stamps the job (id, arrival, deadline, client), asks the runtime
// predictor for its cost (sjf, mlfq, drr and admission control order by
// it), counts it for the adaptive controller's window, and hands it to the
// current executor — again to the new one if a live switch closed the one it
// found; while a canary runs, a share of jobs goes there instead (by id,
// ExecutorSlot::Pick) and is counted in the canary's part of the figures.
// The job's completion records the latency figures, teaches the
// predictor, writes the trace line and answers the client.
//
// Thread-safety: Submit from any event loop, concurrently. Lifetime: every
// reference given to the constructor outlives it and every job it admitted.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "core/request.h"
#include "metrics/machine_load.h"
#include "predict/runtime_predictor.h"
#include "server/executor_slot.h"
#include "server/http_message.h"
#include "server/python_metrics.h"
#include "server/server_metrics.h"
#include "server/server_state.h"
#include "trace/trace_recorder.h"

namespace switchyard {

class JobAdmission {
 public:
  // `trace` may be null (no --trace-out).
  JobAdmission(ExecutorSlot& slot, const ServerState& state, ServerMetrics& metrics,
               const PythonMetrics& python, RuntimePredictor& predictor, TraceRecorder* trace,
               MachineLoad& machine_load)
      : slot_(slot),
        state_(state),
        metrics_(metrics),
        python_(python),
        predictor_(predictor),
        trace_(trace),
        machine_load_(machine_load) {}

  // The reply to a job that succeeded (a 200, or a 500 when its result is
  // corrupt).
  using Render = std::function<HttpReply(const ScoreOutcome&)>;

  // Who sent a request, as its protocol says: the X-Client-Id header (HTTP)
  // or x-client-id metadata (gRPC), and the request's size in bytes.
  struct Origin {
    std::string_view client_id;  // wins over the job's own client; "" for none
    size_t bytes = 0;
  };

  // Admits `job` or answers at once (400 bad client id or priority, 503 queue
  // full, overloaded or shutting down); once admitted, its completion answers
  // with render(outcome) or the error.
  void Submit(Job& job, Origin origin, const Responder& respond, Render render);

 private:
  // The predictor's features of `job` and its guess; counts it as admitted.
  void Predict(Job& job, const Origin& origin);
  // What runs when the job is done: figures, predictor, trace, the reply.
  // `part`: the traffic part it was routed to (ServerMetrics::parts).
  std::function<void(ScoreOutcome)> Completion(const Job& job, const Responder& respond, Render render,
                                               size_t part);

  ExecutorSlot& slot_;
  const ServerState& state_;
  ServerMetrics& metrics_;
  const PythonMetrics& python_;
  RuntimePredictor& predictor_;
  TraceRecorder* const trace_;
  MachineLoad& machine_load_;  // thread-safe
  std::atomic<uint64_t> next_job_id_{1};
};

}  // namespace switchyard
