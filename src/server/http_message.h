// HttpRequest and HttpReply: what the HTTP transport (server/http_server.h)
// hands to the routes and takes back, and the Responder that carries a reply
// to the connection. Plain data.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace switchyard {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target without the query string
  std::string body;
  std::string authorization;  // the Authorization header, if any
  std::string client_id;      // the X-Client-Id header, if any (drr's client)
  // The v2 binary tensor extension's Inference-Header-Content-Length (the
  // JSON's length at the start of the body), as sent; empty when absent.
  std::string inference_header_length;
  std::string content_type;  // the Content-Type header, if any
};

struct HttpReply {
  int status = 200;
  std::string body;  // JSON unless a header says otherwise (Content-Type is application/json by default)
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after writing
};

// Call exactly once, from any thread. Cheap: it posts the write to the
// connection's event loop.
using Responder = std::function<void(HttpReply)>;
using HttpHandler = std::function<void(HttpRequest&&, Responder)>;

}  // namespace switchyard
