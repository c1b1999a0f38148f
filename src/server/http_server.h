// HttpServer: the HTTP/1.1 frontend (Boost.Beast on an Asio event loop).
//
// It owns connections, not semantics: it reads one request at a time per
// connection, hands it to a Handler, and writes the reply the handler gives
// back — from any thread, later. It enforces the transport limits: body size
// (413), a read deadline per request (slow clients are closed), and a
// connection cap (excess connections get a 503 and are closed).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "server/server_metrics.h"

namespace switchyard {

struct HttpRequest {
  std::string method;         // "GET", "POST", ...
  std::string path;           // target without the query string
  std::string body;
  std::string authorization;  // the Authorization header, if any
};

struct HttpReply {
  int status = 200;
  std::string body;           // JSON
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;         // close the connection after writing
};

// Call exactly once, from any thread. Cheap: it posts the write to the
// connection's event loop.
using Responder = std::function<void(HttpReply)>;
using HttpHandler = std::function<void(HttpRequest&&, Responder)>;

// Thread-safety: Create, Start and port() from one thread; StopAccepting() and
// SetDraining() from any thread. Lifetime: must outlive the io_context's run()
// (destroy after the event-loop threads are joined).
class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 8080;
    size_t max_body_bytes = 1 << 20;
    size_t max_connections = 1024;
    std::chrono::milliseconds read_timeout{10000};  // a whole request must arrive within this
  };

  // Binds and listens. InvalidArgument if the address is bad or the port taken.
  static Result<std::unique_ptr<HttpServer>> Create(boost::asio::io_context& io, const Options& options,
                                                    HttpHandler handler, ServerMetrics& metrics);
  ~HttpServer();

  uint16_t port() const;
  void Start();
  // Closes the listening socket; open connections continue.
  void StopAccepting();
  // While draining, connections are closed after their current reply.
  void SetDraining();

  struct Impl;

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace switchyard
