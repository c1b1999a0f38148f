// The Open Inference Protocol routes (KServe v2, as Triton's HTTP API speaks
// them) over the model repository:
//
//   GET  /v2                                       server metadata
//   GET  /v2/health/live, /v2/health/ready
//   GET  /v2/models/{m}[/versions/{v}]              model metadata
//   GET  /v2/models/{m}[/versions/{v}]/ready        200 ready, 400 not
//   POST /v2/models/{m}[/versions/{v}]/infer        inference (a Job)
//
// Errors are {"error":"..."} with Triton's statuses: 400 bad request, 404
// unknown model or version, 503 unavailable or queue full.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/request.h"
#include "model/infer_json.h"
#include "model/model_repository.h"
#include "server/http_message.h"

namespace switchyard {

// Immutable after construction: safe to call from every event loop.
class V2Api {
 public:
  // `models` may be null (the server was started without --models): every
  // model route then answers 404, and health routes still work.
  V2Api(std::shared_ptr<const ModelRepository> models, InferLimits limits)
      : models_(std::move(models)), limits_(limits) {}

  static bool Owns(const std::string& path) { return path == "/v2" || path.rfind("/v2/", 0) == 0; }

  // What a v2 request asks for.
  struct Route {
    enum Kind { kServer, kLive, kReady, kModel, kModelReady, kInfer, kUnknown } kind = kUnknown;
    std::string model;
    std::optional<int64_t> version;
    std::string error;  // set when the path is malformed (a 400 or 404)
  };
  static Route Parse(const std::string& path);

  // Everything but infer: answers at once. `server_ready` is the server's
  // own readiness (workers up).
  HttpReply HandleMetadata(const Route& route, const std::string& method, bool server_ready) const;

  // Infer: the Job to run (request, priority, timeout) and what the reply
  // needs, or the error reply. `request` gives the body and, for binary
  // tensors, the Inference-Header-Content-Length header. The caller sets
  // arrival and on_done, then renders the worker's output tensors
  // (ScoreOutcome::result) with RenderInferReply: a JSON body, or, when an
  // output is binary, the JSON then the bytes, with
  // Inference-Header-Content-Length and Content-Type application/octet-stream.
  struct Prepared {
    Job job;
    std::string model_name;
    int64_t model_version = 0;
    std::string id;
    OutputEncoding encoding;
  };
  Result<Prepared> PrepareInfer(const Route& route, const HttpRequest& request) const;
  static HttpReply RenderInferReply(const Prepared& p, std::string_view output_tensors);

  // What another protocol's frontend (gRPC) shares with these routes.
  //
  // The model and version a route names, or the NotFound/Unavailable why not.
  struct Target {
    const ServedModel* model = nullptr;
    const ModelVersion* version = nullptr;
  };
  Result<Target> Resolve(const Route& route) const;
  // The Job for a request parsed against target's inputs: outputs checked,
  // batching set.
  static Result<Prepared> Prepare(const Target& target, InferRequest parsed);
  // A model's metadata (the model route): NotFound for an unknown model or
  // version; a model that is not ready has `error` set and no tensors.
  struct Metadata {
    std::string name;
    std::vector<std::string> versions;  // the ready ones
    std::string platform;
    bool declared = false;  // false: datatypes and shapes come from each request
    std::vector<TensorSpec> inputs;
    std::vector<TensorSpec> outputs;
    std::string error;
  };
  Result<Metadata> DescribeModel(const Route& route) const;
  const InferLimits& limits() const { return limits_; }

 private:

  std::shared_ptr<const ModelRepository> models_;
  InferLimits limits_;
};

}  // namespace switchyard
