#include "server/json_reply.h"

#include "core/json_quote.h"

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

HttpReply MethodNotAllowed(const std::string& method, const std::string& path, std::string_view allowed) {
  HttpReply reply = JsonReply(405, RenderError("method " + method + " not allowed on " + path + " (use " +
                                               std::string(allowed) + ")"));
  reply.headers.emplace_back("Allow", std::string(allowed));
  return reply;
}

std::string RenderError(std::string_view message) {
  // Messages can quote client bytes (a parse error shows what it read); keep
  // the reply valid UTF-8 whatever those were.
  std::string ascii(message);
  for (char& c : ascii) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return R"({"error":)" + JsonQuote(ascii) + "}";
}

}  // namespace switchyard
