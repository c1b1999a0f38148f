// GrpcFrontend: the Open Inference Protocol over gRPC
// (proto/grpc_predict_v2.proto: inference.GRPCInferenceService) on its own
// port, beside the HTTP routes and through the same parts: the model
// repository (V2Api), admission, the policies, dynamic batching and the
// executor serving now.
//
//   ServerLive, ServerReady, ServerMetadata   as GET /v2/health/*, GET /v2
//   ModelReady, ModelMetadata                 as the model routes
//   ModelInfer                                inputs as raw_input_contents or
//                                             typed contents; outputs always
//                                             raw_output_contents
//
// Errors carry the gRPC codes Triton uses: INVALID_ARGUMENT for a bad
// request, NOT_FOUND for an unknown model or version, UNAVAILABLE for a model
// not ready, a full queue or a server shutting down, DEADLINE_EXCEEDED for a
// request's own timeout, INTERNAL otherwise; the message is the HTTP
// route's. An x-client-id metadata entry names the client, as X-Client-Id
// does over HTTP.
//
// Thread-safety: gRPC's own threads run the calls; everything they touch is
// thread-safe. Lifetime: the references given to Start outlive the frontend;
// Shutdown before destroying them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "server/job_admission.h"
#include "server/server_metrics.h"
#include "server/server_state.h"
#include "server/v2_api.h"

namespace switchyard {

class GrpcFrontend {
 public:
  struct Parts {
    const V2Api& v2;
    JobAdmission& admission;
    const ServerState& state;
    ServerMetrics& metrics;
  };

  // Listens on host:port (0: a free port), taking messages of up to
  // `max_message_bytes` (--max-body, as over HTTP). InvalidArgument when it
  // cannot listen.
  static Result<std::unique_ptr<GrpcFrontend>> Start(const std::string& host, uint16_t port, Parts parts,
                                                     size_t max_message_bytes);
  ~GrpcFrontend();

  uint16_t port() const { return port_; }

  // Refuses new calls and ends the server, giving calls under way up to
  // `grace` to finish (the executor has drained by then: they have).
  void Shutdown(std::chrono::milliseconds grace);

 private:
  struct Impl;
  explicit GrpcFrontend(std::unique_ptr<Impl> impl, uint16_t port);
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace switchyard
