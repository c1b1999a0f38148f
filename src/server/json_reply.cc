#include "server/json_reply.h"

#include "server/score_api.h"

namespace switchyard {

HttpReply JsonReply(int status, std::string body) {
  HttpReply reply;
  reply.status = status;
  reply.body = std::move(body);
  return reply;
}

HttpReply ErrorReply(const Status& status) {
  HttpReply reply = JsonReply(status.http_status(), RenderError(status.message()));
  // Retry-After: the condition (queue full, workers starting) is transient.
  if (status.code() == StatusCode::kUnavailable) reply.headers.emplace_back("Retry-After", "1");
  return reply;
}

}  // namespace switchyard
