// InferenceRoutes: the routes that run work — POST /score (seed 003's
// cpu | io | sleep) and the Open Inference Protocol under /v2 (metadata at
// once, infer through admission). Each parses and validates its request,
// builds the Job, and leaves the rest to JobAdmission.
//
// Thread-safety: the handlers are called from any event loop, concurrently.
// Lifetime: every reference given to the constructor outlives it.
#pragma once

#include <cstddef>

#include "server/http_message.h"
#include "server/job_admission.h"
#include "server/score_api.h"
#include "server/server_metrics.h"
#include "server/server_state.h"
#include "server/v2_api.h"

namespace switchyard {

class InferenceRoutes {
 public:
  InferenceRoutes(JobAdmission& admission, const V2Api& v2, const ServerState& state, ServerMetrics& metrics,
                  ScoreLimits limits, size_t max_payload_bytes)
      : admission_(admission),
        v2_(v2),
        state_(state),
        metrics_(metrics),
        limits_(limits),
        max_payload_bytes_(max_payload_bytes) {}

  // POST /score.
  void HandleScore(HttpRequest& request, Responder respond);
  // Everything under /v2 (V2Api::Owns).
  void HandleV2(HttpRequest& request, Responder respond);

 private:
  JobAdmission& admission_;
  const V2Api& v2_;
  const ServerState& state_;
  ServerMetrics& metrics_;
  const ScoreLimits limits_;
  const size_t max_payload_bytes_;  // the largest ScoreRequest::data the executors carry
};

}  // namespace switchyard
