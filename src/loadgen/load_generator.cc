#include "loadgen/load_generator.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <utility>  // before Asio: boost 1.74's awaitable.hpp uses std::exchange without it

#include <grpcpp/grpcpp.h>

#include "core/clock.h"
#include "core/thread_annotations.h"
#include "grpc_predict_v2.grpc.pb.h"
#include "loadgen/arrival_schedule.h"

namespace switchyard {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

std::chrono::steady_clock::time_point AtMicros(int64_t us) {
  return std::chrono::steady_clock::time_point(std::chrono::microseconds(us));
}

// One stretch of the run: the warm-up (phase -1, not recorded) or a phase.
struct Segment {
  int phase = -1;
  const LoadPhase* load = nullptr;
  int64_t start_us = 0;
  int64_t end_us = 0;
};

// What every generator thread shares: the clock's anchors and the counters
// behind --requests and the progress line.
struct Shared {
  int64_t measure_start_us = 0;  // end of the warm-up
  std::optional<uint64_t> max_requests;
  std::atomic<uint64_t> issued{0};  // measured requests sent, for max_requests
  std::atomic<uint64_t> sent{0};    // measured requests sent, for progress
  std::atomic<bool> count_reached{false};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
};

struct Outcome {
  int status = 0;               // HTTP status, or 0 ...
  const char* error = nullptr;  // ... with "socket", "timeout" or "connect"
};

// Beast's parser with nothing kept but the status: a load generator reads
// the body only to find the end of the message, and must not spend its CPU
// (which it shares with the server it measures) allocating header fields.
class StatusParser final : public http::basic_parser<false> {
 public:
  int status = 0;

 private:
  using string_view = boost::beast::string_view;
  void on_request_impl(http::verb, string_view, string_view, int, error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override { status = code; }
  void on_field_impl(http::field, string_view, string_view, error_code&) override {}
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    return body.size();
  }
  void on_finish_impl(error_code&) override {}
};

// One keep-alive connection. Owned by its generator thread.
struct Connection {
  explicit Connection(asio::io_context& ctx) : socket(ctx) {}
  tcp::socket socket;
  boost::beast::flat_buffer buffer;
  bool connected = false;
  int64_t deadline_us = 0;  // while a round trip runs; 0 otherwise
  bool timed_out = false;
};

// True when the peer has closed `socket` (an orderly EOF is waiting to be
// read); a live idle connection has nothing to read.
bool PeerClosed(tcp::socket& socket) {
  char byte;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// A request scheduled in open loop that found no free connection.
struct Backlogged {
  int phase;
  size_t entry;
  int64_t intended_us;
};

class GeneratorThread {
 public:
  GeneratorThread(const LoadOptions& options, int index, const std::vector<Segment>& segments, Shared& shared)
      : options_(options),
        index_(index),
        segments_(segments),
        shared_(shared),
        stats_(options.phases.size()),
        rng_(options.seed * 7919 + static_cast<uint64_t>(index)),
        endpoint_(asio::ip::make_address(options.target.address), options.target.port),
        host_header_(options.target.host + ":" + std::to_string(options.target.port)) {
    for (size_t i = 0; i < options.phases.size(); ++i) stats_.NameEntries(i, options.phases[i].mix);
    if (options.protocol == LoadProtocol::kGrpc) {
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(INT32_MAX);
      // Its own channel per thread: threads do not share a connection.
      args.SetInt("switchyard.generator_thread", index);
      grpc_stub_ = inference::GRPCInferenceService::NewStub(grpc::CreateCustomChannel(
          options.target.address + ":" + std::to_string(options.target.port), grpc::InsecureChannelCredentials(),
          args));
    }
  }

  void Run() {
    asio::co_spawn(ctx_, Main(), asio::detached);
    asio::co_spawn(ctx_, Watchdog(), asio::detached);
    ctx_.run();
  }

  LoadStats& stats() { return stats_; }
  int64_t last_answer_us() const { return last_answer_us_; }

 private:
  awaitable<void> Main() {
    for (const Segment& seg : segments_) {
      if (SteadyClock::Now() < seg.start_us) co_await SleepUntil(seg.start_us);
      if (seg.load->open_loop()) {
        co_await RunOpen(seg);
      } else {
        co_await RunClosed(seg);
      }
    }
    // Wait for what is in flight, up to one request timeout.
    asio::steady_timer timer(ctx_);
    const int64_t give_up = SteadyClock::Now() + options_.timeout_us + 100'000;
    while ((in_flight_ > 0 || !backlog_.empty()) && SteadyClock::Now() < give_up) {
      timer.expires_at(AtMicros(std::min(give_up, SteadyClock::Now() + 5'000)));
      error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    // Scheduled but never sent: every connection stayed busy to the end.
    for (const Backlogged& b : backlog_) {
      if (b.phase >= 0) Record(b.phase, b.entry, SteadyClock::Now() - b.intended_us, {0, "unsent"});
    }
    backlog_.clear();
    stopped_ = true;
    for (auto& c : pool_) {
      error_code ignored;
      c->socket.close(ignored);
    }
    ctx_.stop();
  }

  // Closes connections whose request outlived the timeout; their read fails
  // and the round trip reports "timeout".
  awaitable<void> Watchdog() {
    asio::steady_timer timer(ctx_);
    while (!stopped_) {
      timer.expires_after(std::chrono::milliseconds(20));
      error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      const int64_t now = SteadyClock::Now();
      for (auto& c : pool_) {
        if (c->deadline_us != 0 && now > c->deadline_us && !c->timed_out) {
          c->timed_out = true;
          error_code ignored;
          c->socket.close(ignored);
        }
      }
    }
  }

  // This thread's share of a phase: clients (closed loop) or rate (open).
  int ShareOf(int total) const {
    return total / options_.threads + (index_ < total % options_.threads ? 1 : 0);
  }

  awaitable<void> RunClosed(const Segment& seg) {
    const int clients = ShareOf(seg.load->connections);
    for (int i = 0; i < clients; ++i) asio::co_spawn(ctx_, ClosedClient(seg), asio::detached);
    // The clients stop on their own after the segment's end; the next segment
    // starts on time, on other connections if these are still busy.
    co_await SleepUntilEndOf(seg);
  }

  awaitable<void> ClosedClient(Segment seg) {
    Connection* c = TakeConnection(/*cap=*/SIZE_MAX);
    asio::steady_timer backoff(ctx_);
    while (SteadyClock::Now() < seg.end_us && !StopIssuing(seg)) {
      const size_t entry = seg.load->mix.Pick(rng_);
      const int64_t sent_us = SteadyClock::Now();
      if (seg.phase >= 0) Sent(seg.phase, sent_us);
      Outcome o = co_await RoundTrip(*c, *seg.load, entry);
      Record(seg.phase, entry, SteadyClock::Now() - sent_us, o);
      if (o.status == 0) {
        // A failing server: do not spin against it.
        backoff.expires_after(std::chrono::milliseconds(10));
        error_code ec;
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    ReleaseConnection(c);
  }

  awaitable<void> RunOpen(const Segment& seg) {
    const double rate = *seg.load->rate / options_.threads;
    const size_t cap = static_cast<size_t>(std::max(1, ShareOf(seg.load->connections)));
    ArrivalSchedule schedule(rate, seg.load->arrivals,
                             options_.seed * 1'000'003 + static_cast<uint64_t>(index_) * 101 +
                                 static_cast<uint64_t>(seg.phase + 1));
    for (;;) {
      const int64_t intended = seg.start_us + schedule.Next();
      if (intended >= seg.end_us || StopIssuing(seg)) break;
      if (intended > SteadyClock::Now() + 20) co_await SleepUntil(intended);
      const int64_t dispatched = SteadyClock::Now();
      const size_t entry = seg.load->mix.Pick(rng_);
      if (seg.phase >= 0) {
        Sent(seg.phase, dispatched);
        if (dispatched - intended > kLateThresholdUs)
          ++stats_.phase(static_cast<size_t>(seg.phase)).late_generator;
      }
      Connection* c = TakeConnection(cap);
      if (c == nullptr) {
        backlog_.push_back({seg.phase, entry, intended});
        continue;
      }
      asio::co_spawn(ctx_, OpenRequest(c, seg.load, seg.phase, entry, intended), asio::detached);
    }
    co_await SleepUntilEndOf(seg);
  }

  // Sends one scheduled request, then whatever waits in the backlog, on `c`.
  awaitable<void> OpenRequest(Connection* c, const LoadPhase* load, int phase, size_t entry,
                              int64_t intended) {
    for (;;) {
      if (phase >= 0 && SteadyClock::Now() - intended > kLateThresholdUs) {
        ++stats_.phase(static_cast<size_t>(phase)).late;
      }
      Outcome o = co_await RoundTrip(*c, *load, entry);
      Record(phase, entry, SteadyClock::Now() - intended, o);
      if (backlog_.empty()) break;
      Backlogged next = backlog_.front();
      backlog_.pop_front();
      phase = next.phase;
      entry = next.entry;
      intended = next.intended_us;
      load = next.phase >= 0 ? &options_.phases[static_cast<size_t>(next.phase)] : &options_.phases[0];
    }
    ReleaseConnection(c);
  }

  // One ModelInfer call: the gRPC callback resumes this coroutine on the
  // thread's event loop by cancelling a timer it waits on.
  struct GrpcCall {
    explicit GrpcCall(asio::io_context& ctx) : wake(ctx) {}
    grpc::ClientContext context;
    inference::ModelInferResponse response;
    grpc::Status status;
    asio::steady_timer wake;
    bool done = false;
  };

  awaitable<Outcome> GrpcRoundTrip(const LoadPhase& load, size_t entry) {
    ++in_flight_;
    const inference::ModelInferRequest& request = GrpcRequest(load, entry);
    auto call = std::make_shared<GrpcCall>(ctx_);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::microseconds(options_.timeout_us));
    const std::string& client = load.mix.entries()[entry].client;
    if (!client.empty()) call->context.AddMetadata("x-client-id", client);
    call->wake.expires_at(std::chrono::steady_clock::time_point::max());
    grpc_stub_->async()->ModelInfer(&call->context, &request, &call->response, [this, call](grpc::Status s) {
      call->status = std::move(s);
      asio::post(ctx_, [call] {
        call->done = true;
        call->wake.cancel();
      });
    });
    while (!call->done) {
      error_code ec;
      co_await call->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    --in_flight_;
    switch (call->status.error_code()) {
      case grpc::StatusCode::OK: co_return Outcome{200, nullptr};
      case grpc::StatusCode::INVALID_ARGUMENT: co_return Outcome{400, nullptr};
      case grpc::StatusCode::NOT_FOUND: co_return Outcome{404, nullptr};
      case grpc::StatusCode::UNAVAILABLE: co_return Outcome{503, nullptr};
      case grpc::StatusCode::DEADLINE_EXCEEDED: co_return Outcome{0, "timeout"};
      default: co_return Outcome{500, nullptr};
    }
  }

  // The ModelInferRequest for `entry` of `load`: built once, then shared by
  // every call (gRPC only reads it).
  const inference::ModelInferRequest& GrpcRequest(const LoadPhase& load, size_t entry) {
    std::vector<std::unique_ptr<inference::ModelInferRequest>>& cache = grpc_requests_[&load];
    if (cache.empty()) cache.resize(load.mix.entries().size());
    if (cache[entry] == nullptr) {
      const MixEntry& e = load.mix.entries()[entry];
      auto r = std::make_unique<inference::ModelInferRequest>();
      r->set_model_name(e.model);
      if (e.version > 0) r->set_model_version(std::to_string(e.version));
      auto* in = r->add_inputs();
      in->set_name(e.input);
      in->set_datatype(e.datatype);
      for (int64_t d : e.shape) in->add_shape(d);
      r->add_raw_input_contents(load.mix.InferInputBytes(entry));
      cache[entry] = std::move(r);
    }
    return *cache[entry];
  }

  awaitable<Outcome> RoundTrip(Connection& c, const LoadPhase& load, size_t entry) {
    if (options_.protocol == LoadProtocol::kGrpc) co_return co_await GrpcRoundTrip(load, entry);
    ++in_flight_;
    Outcome o;
    error_code ec;
    c.deadline_us = SteadyClock::Now() + options_.timeout_us;
    if (c.connected && PeerClosed(c.socket)) {
      // An idle keep-alive connection the server has closed (its read
      // timeout passed while this connection waited in the pool, e.g.
      // between phases): not the server failing a request — reconnect.
      error_code ignored;
      c.socket.close(ignored);
      c.connected = false;
      c.buffer.clear();
    }
    if (!c.connected) {
      c.socket = tcp::socket(ctx_);
      co_await c.socket.async_connect(endpoint_, asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) c.socket.set_option(tcp::no_delay(true), ec);
      c.connected = !ec;
      if (ec) o = {0, "connect"};
    }
    if (c.connected) {
      // Each write owns its bytes: other connections build theirs while it
      // is suspended.
      const std::string* bytes = Prebuilt(load, entry);
      std::string built;
      if (bytes == nullptr) {
        built = Build(load, entry);
        bytes = &built;
      }
      co_await asio::async_write(c.socket, asio::buffer(*bytes),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) {
        StatusParser response;
        co_await http::async_read(c.socket, c.buffer, response,
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
          o = {response.status, nullptr};
          if (!response.keep_alive()) c.connected = false;
        }
      }
      if (ec) o = {0, "socket"};
    }
    if (o.status == 0 && c.timed_out) o.error = "timeout";
    --in_flight_;
    if (o.status == 0 || !c.connected || c.timed_out) {
      error_code ignored;
      c.socket.close(ignored);
      c.connected = false;
      c.buffer.clear();
    }
    c.deadline_us = 0;
    c.timed_out = false;
    co_return o;
  }

  // The bytes of a request for `entry` of `load` when they never change
  // (built once per phase), else nullptr: build them with Build().
  const std::string* Prebuilt(const LoadPhase& load, size_t entry) {
    std::vector<std::string>& cache = prebuilt_[&load];
    if (cache.empty()) {
      cache.resize(load.mix.entries().size());
      for (size_t i = 0; i < cache.size(); ++i) {
        const MixEntry& e = load.mix.entries()[i];
        if (e.kind != RequestKind::kIo || e.key) cache[i] = Build(load, i);
      }
    }
    return cache[entry].empty() ? nullptr : &cache[entry];
  }

  std::string Build(const LoadPhase& load, size_t entry) {
    const std::string& headers = load.mix.Headers(entry);
    if (load.mix.IsGet(entry)) {
      return "GET " + options_.target.path + " HTTP/1.1\r\nHost: " + host_header_ + "\r\n" + headers + "\r\n";
    }
    std::string body = load.mix.Body(entry, rng_);
    std::string path = load.mix.Path(entry);
    return "POST " + (path.empty() ? options_.target.path : path) + " HTTP/1.1\r\nHost: " + host_header_ +
           "\r\n" + headers + "Content-Type: " + std::string(load.mix.ContentType(entry)) +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
           body;
  }

  void Sent(int phase, int64_t at_us) {
    stats_.RecordSend(static_cast<size_t>(phase), SecondOf(at_us));
    shared_.sent.fetch_add(1, std::memory_order_relaxed);
  }

  void Record(int phase, size_t entry, int64_t latency_us, const Outcome& o) {
    const int64_t now = SteadyClock::Now();
    if (phase < 0) return;
    last_answer_us_ = std::max(last_answer_us_, now);
    const RequestKind kind = options_.phases[static_cast<size_t>(phase)].mix.entries()[entry].kind;
    stats_.RecordOutcome(static_cast<size_t>(phase), SecondOf(now), kind, entry, latency_us, o.status,
                         o.error);
    shared_.requests.fetch_add(1, std::memory_order_relaxed);
    if (o.status < 200 || o.status >= 300) shared_.errors.fetch_add(1, std::memory_order_relaxed);
  }

  // True once --requests measured requests were issued (by any thread);
  // otherwise counts this one as issued.
  bool StopIssuing(const Segment& seg) {
    if (seg.phase < 0 || !shared_.max_requests) return false;
    if (shared_.count_reached.load(std::memory_order_relaxed)) return true;
    if (shared_.issued.fetch_add(1, std::memory_order_relaxed) >= *shared_.max_requests) {
      shared_.count_reached.store(true, std::memory_order_relaxed);
      return true;
    }
    return false;
  }

  size_t SecondOf(int64_t t_us) const {
    return t_us <= shared_.measure_start_us
               ? 0
               : static_cast<size_t>((t_us - shared_.measure_start_us) / 1'000'000);
  }

  Connection* TakeConnection(size_t cap) {
    if (!free_.empty()) {
      Connection* c = free_.back();
      free_.pop_back();
      return c;
    }
    if (pool_.size() >= cap) return nullptr;
    pool_.push_back(std::make_unique<Connection>(ctx_));
    return pool_.back().get();
  }

  void ReleaseConnection(Connection* c) { free_.push_back(c); }

  // Until the segment ends, or --requests is reached (checked every 10 ms).
  awaitable<void> SleepUntilEndOf(const Segment& seg) {
    if (!shared_.max_requests || seg.phase < 0) co_return co_await SleepUntil(seg.end_us);
    while (SteadyClock::Now() < seg.end_us && !shared_.count_reached.load(std::memory_order_relaxed)) {
      co_await SleepUntil(std::min(seg.end_us, SteadyClock::Now() + 10'000));
    }
  }

  awaitable<void> SleepUntil(int64_t t_us) {
    asio::steady_timer timer(ctx_, AtMicros(t_us));
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  const LoadOptions& options_;
  const int index_;
  const std::vector<Segment>& segments_;
  Shared& shared_;
  LoadStats stats_;
  std::mt19937_64 rng_;
  asio::io_context ctx_{1};
  tcp::endpoint endpoint_;
  std::string host_header_;
  std::map<const LoadPhase*, std::vector<std::string>> prebuilt_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> grpc_stub_;  // kGrpc only
  std::map<const LoadPhase*, std::vector<std::unique_ptr<inference::ModelInferRequest>>> grpc_requests_;
  std::vector<std::unique_ptr<Connection>> pool_;
  std::vector<Connection*> free_;
  std::deque<Backlogged> backlog_;
  int in_flight_ = 0;
  bool stopped_ = false;
  int64_t last_answer_us_ = 0;
};

// A blocking connect with a short timeout, to fail fast and clearly when
// nothing listens at the target.
Status ProbeConnect(const TargetUrl& target) {
  error_code ec;
  asio::io_context ctx;
  tcp::socket socket(ctx);
  tcp::endpoint endpoint(asio::ip::make_address(target.address, ec), target.port);
  if (ec) return InvalidArgument("bad address '" + target.address + "'");
  socket.open(endpoint.protocol(), ec);
  if (!ec) socket.non_blocking(true, ec);
  if (ec) return Internal("cannot create a socket: " + ec.message());
  if (::connect(socket.native_handle(), endpoint.data(), static_cast<socklen_t>(endpoint.size())) < 0) {
    if (errno != EINPROGRESS) {
      return Unavailable("cannot connect to " + target.ToString() + ": " + std::strerror(errno));
    }
    pollfd pfd{socket.native_handle(), POLLOUT, 0};
    if (::poll(&pfd, 1, 3000) <= 0)
      return Unavailable("cannot connect to " + target.ToString() + ": no answer in 3 s");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(socket.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Unavailable("cannot connect to " + target.ToString() + ": " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace

Result<LoadResult> RunLoad(const LoadOptions& options) {
  if (options.phases.empty()) return InvalidArgument("no load phase to run");
  if (options.threads < 1 || options.threads > 64) return InvalidArgument("threads must be between 1 and 64");
  if (options.timeout_us <= 0) return InvalidArgument("the request timeout must be positive");
  if (options.warmup_us < 0) return InvalidArgument("the warm-up cannot be negative");
  if (options.protocol == LoadProtocol::kGrpc) {
    for (size_t p = 0; p < options.phases.size(); ++p) {
      const auto& entries = options.phases[p].mix.entries();
      for (size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].kind != RequestKind::kInfer) {
          return InvalidArgument("gRPC carries infer requests only; mix entry " + std::to_string(i + 1) + " ('" +
                                 options.phases[p].mix.Label(i) + "') is " +
                                 std::string(RequestKindName(entries[i].kind)));
        }
      }
    }
  }
  Status reachable = ProbeConnect(options.target);
  if (!reachable.ok()) return reachable;

  // Absolute segment boundaries, shared by all threads.
  std::vector<Segment> segments;
  const int64_t start = SteadyClock::Now() + 20'000;  // time for the threads to start
  int64_t t = start;
  if (options.warmup_us > 0) {
    segments.push_back({-1, &options.phases[0], t, t + options.warmup_us});
    t += options.warmup_us;
  }
  Shared shared;
  shared.measure_start_us = t;
  shared.max_requests = options.max_requests;
  for (size_t i = 0; i < options.phases.size(); ++i) {
    segments.push_back({static_cast<int>(i), &options.phases[i], t, t + options.phases[i].duration_us});
    t += options.phases[i].duration_us;
  }
  const int64_t end = t;

  std::vector<std::unique_ptr<GeneratorThread>> generators;
  for (int i = 0; i < options.threads; ++i) {
    generators.push_back(std::make_unique<GeneratorThread>(options, i, segments, shared));
  }
  // Progress, about once a second, until every thread is done.
  struct Running {
    Mutex mu;
    std::condition_variable done_cv;
    int threads GUARDED_BY(mu) = 0;
  } running;
  {
    MutexLock lock(running.mu);
    running.threads = options.threads;
  }
  std::vector<std::thread> threads;
  for (auto& g : generators) {
    threads.emplace_back([&, gen = g.get()] {
      gen->Run();
      MutexLock lock(running.mu);
      --running.threads;
      running.done_cv.notify_all();
    });
  }
  {
    MutexLock lock(running.mu);
    while (running.threads > 0) {
      running.done_cv.wait_for(lock.native(), std::chrono::seconds(1));
      if (running.threads == 0 || !options.progress) continue;
      LoadProgress p;
      const int64_t now = SteadyClock::Now();
      p.elapsed_s = static_cast<double>(now - start) / 1e6;
      p.total_s = static_cast<double>(end - start) / 1e6;
      p.warming_up = now < shared.measure_start_us;
      for (const Segment& s : segments) {
        if (s.phase >= 0 && now >= s.start_us) p.phase = s.phase;
      }
      p.sent = shared.sent.load();
      p.requests = shared.requests.load();
      p.errors = shared.errors.load();
      lock.Unlock();
      options.progress(p);
      lock.Lock();
    }
  }
  for (auto& th : threads) th.join();

  LoadResult result;
  result.stats = LoadStats(options.phases.size());
  result.measure_start_us = shared.measure_start_us;
  int64_t last_answer = 0;
  for (auto& g : generators) {
    result.stats.Merge(g->stats());
    last_answer = std::max(last_answer, g->last_answer_us());
  }
  result.stopped_by_count = shared.count_reached.load();
  result.measured_us = end - shared.measure_start_us;
  // Stopped by count: the window ends with the last answer, and phases end
  // there too (later ones never started).
  const int64_t window_end =
      result.stopped_by_count && last_answer > shared.measure_start_us ? std::min(end, last_answer) : end;
  result.measured_us = window_end - shared.measure_start_us;
  for (const Segment& s : segments) {
    if (s.phase >= 0)
      result.phase_us.push_back(std::max<int64_t>(0, std::min(s.end_us, window_end) - s.start_us));
  }
  return result;
}

}  // namespace switchyard
