// HttpServer: the HTTP/1.1 frontend (Boost.Beast on an Asio event loop).
//
// It owns connections, not semantics: it reads one request at a time per
// connection, hands it to a Handler, and writes the reply the handler gives
// back — from any thread, later. It enforces the transport limits: body size
// (413), a read deadline per request (slow clients are closed), and a
// connection cap (excess connections get a 503 and are closed).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"
#include "executor/event_loops.h"
#include "server/http_message.h"
#include "server/server_metrics.h"

namespace switchyard {

// The frontend runs `loops` event loops, each an io_context on its own
// thread (shared nothing: a connection lives on one loop, assigned round-robin
// when accepted). It lends them to the async executor through EventLoops.
//
// Thread-safety: Create, Start, Join and port() from one thread;
// StopAccepting(), SetDraining(), Stop() and the EventLoops calls from any.
// Lifetime: destroy after Join().
class HttpServer final : public EventLoops {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 8080;
    int loops = 1;
    size_t max_body_bytes = 1 << 20;
    size_t max_connections = 1024;
    std::chrono::milliseconds read_timeout{10000};  // a whole request must arrive within this
  };

  // Binds and listens. InvalidArgument if the address is bad or the port taken.
  static Result<std::unique_ptr<HttpServer>> Create(const Options& options, HttpHandler handler,
                                                    ServerMetrics& metrics);
  ~HttpServer() override;

  uint16_t port() const;
  // Starts the loop threads and accepting.
  void Start();
  // Stops every loop (pending operations are abandoned) and joins the threads.
  void Stop();

  int loop_count() const override;
  boost::asio::io_context& loop(int index) override;
  int CurrentLoop() const override;
  // Closes the listening socket; open connections continue.
  void StopAccepting();
  // While draining, connections are closed after their current reply.
  void SetDraining();

  struct Impl;

 private:
  HttpServer() = default;
  std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace switchyard
