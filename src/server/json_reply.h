// The replies every route builds: a JSON body with a status, and an error
// from a Status ({"error":"..."} with its HTTP status; 503 adds Retry-After).
#pragma once

#include <string>

#include "core/status.h"
#include "server/http_server.h"

namespace switchyard {

HttpReply JsonReply(int status, std::string body);
HttpReply ErrorReply(const Status& status);

}  // namespace switchyard
