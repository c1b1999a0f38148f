#include "server/http_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "server/json_reply.h"

namespace switchyard {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
thread_local int current_loop_index = -1;
}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  // Sessions share ownership of this; the loops themselves belong to the
  // HttpServer, so destroying them destroys the sessions' pending handlers
  // and with them the sessions (no reference cycle through the loops).
  Impl(std::vector<asio::io_context*> event_loops, const Options& opts, HttpHandler h, ServerMetrics& m)
      : loops(std::move(event_loops)), options(opts), handler(std::move(h)), metrics(m) {
    acceptor.emplace(*loops[0]);
  }

  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);

  const std::vector<asio::io_context*> loops;
  size_t next_loop = 0;  // used by the acceptor's loop only
  const Options options;
  const HttpHandler handler;
  ServerMetrics& metrics;
  std::optional<tcp::acceptor> acceptor;  // on loops[0]
  std::atomic<bool> draining{false};
};

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;
// After an error reply we read and discard what the client still sends for a
// moment before closing: closing a socket with unread input makes the kernel
// send a reset, which can destroy the reply before the client reads it.
constexpr std::chrono::milliseconds kLingerTimeout{1000};

// One connection. Lives as long as an operation on it is pending; all its
// handlers run on its loop's one thread.
// The most a connection's read buffer grows to for large bodies.
constexpr size_t kLargeReadBytes = 64 * 1024;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server, bool counted)
      : stream_(std::move(socket)), server_(std::move(server)), counted_(counted) {
    if (counted_) server_->metrics.active_connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~Session() {
    if (counted_) server_->metrics.active_connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

  // Answers 503 without reading a request: the server is at --max-connections.
  void Refuse() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      HttpReply reply;
      reply.status = 503;
      reply.body = RenderError("too many connections (--max-connections " +
                               std::to_string(self->server_->options.max_connections) + ")");
      reply.headers.emplace_back("Retry-After", "1");
      reply.close = true;
      self->Write(std::move(reply), /*from_handler=*/false);
    });
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(server_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == beast::error::timeout) {
      server_->metrics.timed_out_connections.fetch_add(1, std::memory_order_relaxed);
      return Close();
    }
    if (ec == http::error::body_limit) {
      return WriteTransportError(
          413,
          "request body exceeds " + std::to_string(server_->options.max_body_bytes) + " bytes (--max-body)");
    }
    if (ec == http::error::header_limit) {
      return WriteTransportError(431, "request headers exceed " + std::to_string(kHeaderLimit) + " bytes");
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
        return WriteTransportError(400, "malformed HTTP request: " + ec.message());
      }
      return Close();
    }
    stream_.expires_never();
    http::request<http::string_body> req = parser_->release();
    keep_alive_ = req.keep_alive();
    // Beast reads no more than the buffer's free capacity (at least 512
    // bytes), and the parser drains the buffer into the body as it goes, so
    // an empty buffer reads a 35 KB tensor body in ~70 recvmsg calls. A
    // connection that sends large bodies gets room to read one in a few.
    if (req.body().size() > buffer_.capacity() && buffer_.capacity() < kLargeReadBytes) {
      buffer_.reserve(std::min(req.body().size(), kLargeReadBytes));
    }
    HttpRequest request;
    request.method = std::string(req.method_string());
    std::string_view target = req.target();
    request.path = std::string(target.substr(0, target.find('?')));
    request.body = std::move(req.body());
    if (auto auth = req.find(http::field::authorization); auth != req.end()) {
      request.authorization = std::string(auth->value());
    }
    if (auto client = req.find("X-Client-Id"); client != req.end())
      request.client_id = std::string(client->value());
    if (auto length = req.find("Inference-Header-Content-Length"); length != req.end())
      request.inference_header_length = std::string(length->value());
    if (auto type = req.find(http::field::content_type); type != req.end())
      request.content_type = std::string(type->value());
    server_->metrics.requests_in_progress.fetch_add(1, std::memory_order_relaxed);
    server_->handler(std::move(request), [self = shared_from_this()](HttpReply reply) {
      asio::post(self->stream_.get_executor(), [self, r = std::move(reply)]() mutable {
        self->Write(std::move(r), /*from_handler=*/true);
      });
    });
  }

  void WriteTransportError(int status, std::string message) {
    HttpReply reply;
    reply.status = status;
    reply.body = RenderError(message);
    reply.close = true;
    Write(std::move(reply), /*from_handler=*/false);
  }

  void Write(HttpReply reply, bool from_handler) {
    res_ = {};
    res_.version(11);
    res_.result(static_cast<http::status>(reply.status));
    res_.set(http::field::server, "switchyard");
    res_.set(http::field::content_type, "application/json");
    for (auto& [name, value] : reply.headers) res_.set(name, value);
    bool keep = keep_alive_ && !reply.close && !server_->draining.load(std::memory_order_relaxed);
    res_.keep_alive(keep);
    res_.body() = std::move(reply.body);
    res_.prepare_payload();
    server_->metrics.CountReply(reply.status);
    stream_.expires_after(server_->options.read_timeout);
    http::async_write(
        stream_, res_,
        [self = shared_from_this(), from_handler, keep, linger = reply.close](beast::error_code ec, size_t) {
          if (from_handler) {
            self->server_->metrics.requests_in_progress.fetch_sub(1, std::memory_order_relaxed);
          }
          if (ec) return self->Close();
          if (linger) return self->LingerThenClose();
          if (!keep) return self->Close();
          self->DoRead();
        });
  }

  void LingerThenClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTimeout);
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->LingerThenClose();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::shared_ptr<HttpServer::Impl> server_;
  std::array<char, 4096> scratch_{};
  bool keep_alive_ = true;
  const bool counted_;
};

}  // namespace

void HttpServer::Impl::DoAccept() {
  asio::io_context& target = *loops[next_loop++ % loops.size()];
  acceptor->async_accept(target, [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->OnAccept(ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
  if (ec) {
    // EMFILE and friends: say so and keep accepting; the next try may work.
    spdlog::warn("accept failed: {}", ec.message());
  } else {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (metrics.active_connections.load(std::memory_order_relaxed) >=
        static_cast<int64_t>(options.max_connections)) {
      metrics.refused_connections.fetch_add(1, std::memory_order_relaxed);
      std::make_shared<Session>(std::move(socket), shared_from_this(), false)->Refuse();
    } else {
      metrics.accepted_connections.fetch_add(1, std::memory_order_relaxed);
      std::make_shared<Session>(std::move(socket), shared_from_this(), true)->Run();
    }
  }
  DoAccept();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const Options& options, HttpHandler handler,
                                                       ServerMetrics& metrics) {
  if (options.loops < 1 || options.loops > 256) {
    return InvalidArgument("event loops must be between 1 and 256, got " + std::to_string(options.loops));
  }
  std::unique_ptr<HttpServer> server(new HttpServer());
  std::vector<asio::io_context*> raw;
  for (int i = 0; i < options.loops; ++i) {
    // Concurrency hint 1: each loop is run by one thread only.
    server->loops_.push_back(std::make_unique<asio::io_context>(1));
    server->guards_.emplace_back(server->loops_.back()->get_executor());
    raw.push_back(server->loops_.back().get());
  }
  auto impl = std::make_shared<Impl>(raw, options, std::move(handler), metrics);
  server->impl_ = impl;
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) return InvalidArgument("bad --host '" + options.host + "': " + ec.message());
  tcp::endpoint endpoint(address, options.port);
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (ec) {
    return InvalidArgument("cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
                           ec.message());
  }
  impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return InvalidArgument("cannot listen: " + ec.message());
  return server;
}

HttpServer::~HttpServer() {
  Stop();
  if (impl_) impl_->acceptor.reset();  // while its loop still exists
  guards_.clear();
  loops_.clear();  // destroys pending handlers, and the sessions they hold
}

uint16_t HttpServer::port() const { return impl_->acceptor->local_endpoint().port(); }

void HttpServer::Start() {
  impl_->DoAccept();
  for (size_t i = 0; i < loops_.size(); ++i) {
    threads_.emplace_back([loop = loops_[i].get(), i] {
      current_loop_index = static_cast<int>(i);
      loop->run();
    });
  }
}

void HttpServer::Stop() {
  for (auto& loop : loops_) loop->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

int HttpServer::loop_count() const { return static_cast<int>(loops_.size()); }

asio::io_context& HttpServer::loop(int index) { return *loops_[static_cast<size_t>(index)]; }

int HttpServer::CurrentLoop() const { return current_loop_index; }

void HttpServer::StopAccepting() {
  asio::post(*loops_[0], [impl = impl_] {
    beast::error_code ignored;
    impl->acceptor->close(ignored);
  });
}

void HttpServer::SetDraining() { impl_->draining.store(true, std::memory_order_relaxed); }

}  // namespace switchyard
