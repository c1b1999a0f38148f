// HttpFetch: one blocking HTTP/1.1 request to a loopback server, for the
// study runner's calls to /stats and the admin routes.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace switchyard {

struct FetchedResponse {
  int status = 0;
  std::string body;
};

// `method` `path` on 127.0.0.1:`port` with an optional JSON body and bearer
// token; Unavailable on a connection or timeout error. Thread-safe.
Result<FetchedResponse> HttpFetch(uint16_t port, const std::string& method, const std::string& path,
                                  const std::string& body = "", const std::string& bearer = "",
                                  int timeout_ms = 5000);

}  // namespace switchyard
