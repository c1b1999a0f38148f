// The replies every route and the transport build: a JSON body with a
// status, and an error ({"error":"..."} with its HTTP status; 503 adds
// Retry-After). Pure functions: thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "server/http_message.h"

namespace switchyard {

HttpReply JsonReply(int status, std::string body);
HttpReply ErrorReply(const Status& status);
// A 405 naming the method refused and the one `path` takes (Allow header).
HttpReply MethodNotAllowed(const std::string& method, const std::string& path, std::string_view allowed);

// {"error":"message"}
std::string RenderError(std::string_view message);

}  // namespace switchyard
