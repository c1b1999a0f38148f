#include "server/inference_routes.h"

#include <memory>

#include "server/json_reply.h"

namespace switchyard {

void InferenceRoutes::HandleScore(HttpRequest& request, Responder respond_to_client) {
  Responder respond = [this, r = std::move(respond_to_client)](HttpReply reply) {
    metrics_.CountScore(reply.status);
    r(std::move(reply));
  };
  if (Status admitting = state_.Admitting(); !admitting.ok()) return respond(ErrorReply(admitting));
  ScoreScheduling scheduling;
  auto parsed = ParseScoreRequest(request.body, limits_, &scheduling);
  if (!parsed.ok()) return respond(ErrorReply(parsed.status()));
  if (parsed->data.size() > max_payload_bytes_) {
    return respond(
        ErrorReply(InvalidArgument("field 'data' exceeds " + std::to_string(max_payload_bytes_) + " bytes")));
  }
  Job job;
  job.request = std::move(parsed).value();
  job.priority = scheduling.priority;
  job.timeout_us = scheduling.timeout_us;
  job.client = std::move(scheduling.client);
  admission_.Submit(job, {request.client_id, request.body.size()}, respond,
                    [](const ScoreOutcome& outcome) { return JsonReply(200, RenderScoreReply(outcome)); });
}

void InferenceRoutes::HandleV2(HttpRequest& request, Responder respond) {
  V2Api::Route route = V2Api::Parse(request.path);
  if (route.kind != V2Api::Route::kInfer) {
    return respond(v2_.HandleMetadata(route, request.method, state_.Admitting().ok()));
  }
  if (request.method != "POST") return respond(MethodNotAllowed(request.method, request.path, "POST"));
  if (Status admitting = state_.Admitting(); !admitting.ok()) return respond(ErrorReply(admitting));
  auto prepared = v2_.PrepareInfer(route, request);
  if (!prepared.ok()) return respond(ErrorReply(prepared.status()));
  auto p = std::make_shared<V2Api::Prepared>(std::move(prepared).value());
  Job job = std::move(p->job);
  admission_.Submit(job, {request.client_id, request.body.size()}, respond, [p](const ScoreOutcome& outcome) {
    return V2Api::RenderInferReply(*p, outcome.result);
  });
}

}  // namespace switchyard
