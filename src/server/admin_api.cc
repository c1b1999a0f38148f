#include "server/admin_api.h"

#include <nlohmann/json.hpp>

#include "executor/config_json.h"
#include "server/json_reply.h"

namespace switchyard {

using nlohmann::json;

bool AdminApi::Allowed(const HttpRequest& request, const Responder& respond) const {
  if (token_.empty()) {
    respond(ErrorReply(
        {StatusCode::kForbidden, "admin routes are disabled: start the server with --admin-token-file"}));
    return false;
  }
  if (request.authorization != "Bearer " + token_) {
    respond(
        ErrorReply({StatusCode::kForbidden, "missing or wrong admin token (Authorization: Bearer TOKEN)"}));
    return false;
  }
  return true;
}

void AdminApi::HandleStatsReset(const HttpRequest& request, Responder respond) {
  if (!Allowed(request, respond)) return;
  // A measuring window starts here: latency histograms and reply counters
  // restart from zero. Process and connection figures are cumulative OS or
  // gauge values; take differences of two /stats reads for those.
  metrics_.queue_us.Reset();
  metrics_.batch_queue_us.Reset();
  for (auto& c : metrics_.batches_by_size) c.store(0, std::memory_order_relaxed);
  metrics_.batched_rows.store(0, std::memory_order_relaxed);
  metrics_.service_us.Reset();
  metrics_.total_us.Reset();
  for (auto& c : metrics_.score_by_status) c.store(0, std::memory_order_relaxed);
  for (auto& c : metrics_.replies_by_status) c.store(0, std::memory_order_relaxed);
  metrics_.late_replies.store(0, std::memory_order_relaxed);
  python_.Reset();
  respond(JsonReply(200, R"({"ok":true})"));
}

void AdminApi::HandleConfig(const HttpRequest& request, Responder respond) {
  if (!Allowed(request, respond)) return;
  if (state_.shutting_down.load()) return respond(ErrorReply(Unavailable("server is shutting down")));
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return respond(ErrorReply(InvalidArgument("malformed JSON")));
  std::shared_ptr<Executor> current = slot_.Current();
  if (!current) return respond(ErrorReply(Unavailable("workers are starting")));
  ExecutorConfig config = current->config();
  if (Status patched = ApplyConfigPatch(body, config); !patched.ok()) return respond(ErrorReply(patched));
  const bool queued = slot_.RequestSwitch(config, [respond](Result<ExecutorSlot::Switched> r) {
    if (!r.ok()) return respond(ErrorReply(r.status()));
    json reply = {{"ok", true},
                  {"config", ConfigJson(r->config)},
                  {"previous", r->previous ? ConfigJson(*r->previous) : json(nullptr)},
                  {"start_us", r->start_us}};
    respond(JsonReply(200, reply.dump()));
  });
  if (!queued) respond(ErrorReply(Unavailable("server is shutting down")));
}

}  // namespace switchyard
