#include "server/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>

#include "executor/config_keys.h"
#include "server/json_reply.h"
#include "server/stats_json.h"

namespace switchyard {

namespace asio = boost::asio;

Server::Server(const ServerOptions& options, ExecutorEnv env, int64_t started_us,
               std::unique_ptr<TraceRecorder> trace)
    : options_(options),
      env_(env),
      started_us_(started_us),
      predictor_(options.predictor ? options.predictor
                                   : std::shared_ptr<RuntimePredictor>(MakeEwmaPredictor())),
      trace_(std::move(trace)),
      python_metrics_(env.workload.models.get()),
      v2_(env.workload.models, options.infer_limits),
      slot_(env_, state_, metrics_),
      admission_(slot_, state_, metrics_, python_metrics_, *predictor_, trace_.get(), machine_load_),
      inference_(admission_, v2_, state_, metrics_, options.limits, options.executor.max_payload_bytes),
      admin_(options.admin_token, slot_, state_, metrics_, python_metrics_) {}

Server::~Server() { StopController(); }

Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options, ExecutorEnv env) {
  Status valid = ValidateExecutorConfig(options.executor);
  if (!valid.ok()) return valid;
  const int64_t started_us = SteadyClock::Now();
  std::unique_ptr<TraceRecorder> trace;
  if (!options.trace_out.empty()) {
    auto opened = TraceRecorder::Open(options.trace_out, started_us);
    if (!opened.ok()) return opened.status();
    trace = std::move(opened).value();
  }
  std::unique_ptr<Server> server(new Server(options, env, started_us, std::move(trace)));
  Server* self = server.get();
  auto http = HttpServer::Create(
      options.http,
      [self](HttpRequest&& request, Responder respond) {
        self->Handle(std::move(request), std::move(respond));
      },
      server->metrics_);
  if (!http.ok()) return http.status();
  server->http_ = std::move(http).value();
  server->env_.loops = server->http_.get();
  return server;
}

void Server::Handle(HttpRequest&& request, Responder respond) {
  const std::string& path = request.path;
  auto only = [&](const char* allowed) {
    if (request.method == allowed) return true;
    respond(MethodNotAllowed(request.method, path, allowed));
    return false;
  };
  if (path == "/score") {
    if (only("POST")) inference_.HandleScore(request, std::move(respond));
  } else if (path == "/healthz") {
    if (only("GET")) respond(JsonReply(200, R"({"status":"ok"})"));
  } else if (path == "/readyz") {
    if (!only("GET")) return;
    if (state_.ready.load()) {
      respond(JsonReply(200, R"({"ready":true})"));
    } else {
      respond(ErrorReply(Unavailable(state_.shutting_down ? "shutting down" : "workers are starting")));
    }
  } else if (path == "/stats") {
    if (!only("GET")) return;
    respond(JsonReply(200, RenderStats({.options = options_,
                                        .state = state_,
                                        .slot = slot_,
                                        .metrics = metrics_,
                                        .predictor = *predictor_,
                                        .controller = controller_live_.load(),
                                        .python = python_metrics_,
                                        .port = port(),
                                        .uptime_us = SteadyClock::Now() - started_us_})));
  } else if (path == "/admin/config") {
    if (only("POST")) admin_.HandleConfig(request, std::move(respond));
  } else if (path == "/admin/stats/reset") {
    if (only("POST")) admin_.HandleStatsReset(request, std::move(respond));
  } else if (V2Api::Owns(path)) {
    inference_.HandleV2(request, std::move(respond));
  } else {
    respond(JsonReply(404, RenderError("no route for " + path +
                                       " (routes: /score, /healthz, /readyz, /stats, /v2/..., /admin/config, "
                                       "/admin/stats/reset)")));
  }
}

Status Server::StartController() {
  if (!options_.adaptive) return Status::Ok();
  const ServerOptions::Adaptive& a = *options_.adaptive;
  const double slo_ms = a.options.reward.kind == RewardSpec::Kind::kSloGoodput ? a.options.reward.slo_ms : 0;
  controller_view_ = std::make_unique<ControllerView>(slot_, metrics_, machine_load_, slo_ms);
  // The candidates are distinct (LoadCandidates refuses repeats); the
  // configuration serving now joins them if it is not one.
  auto controller = Controller::Create(a.options, a.candidates, Candidate::Of(slot_.Current()->config()),
                                       *controller_view_);
  if (!controller.ok()) return controller.status();
  controller_ = std::move(controller).value();
  controller_live_.store(controller_.get());
  spdlog::info("controller {}: {} candidates, windows of {} ms, reward {}", a.options.algorithm,
               controller_->candidates().size(), a.options.window_us / 1000, a.options.reward.Describe());
  controller_thread_ = std::thread([c = controller_.get()] { c->Run(); });
  return Status::Ok();
}

void Server::StopController() {
  if (controller_) controller_->Stop();
  if (controller_thread_.joinable()) controller_thread_.join();
}

void Server::RequestShutdown() {
  {
    MutexLock lock(shutdown_mu_);
    shutdown_requested_ = true;
  }
  shutdown_cv_.notify_all();
}

void Server::WaitForShutdownRequest() {
  MutexLock lock(shutdown_mu_);
  shutdown_cv_.wait(lock.native(), [&]() REQUIRES(shutdown_mu_) { return shutdown_requested_; });
}

int Server::Run() {
  asio::signal_set signals(http_->loop(0), SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (state_.shutting_down.load()) {
          spdlog::warn("second signal {}: exiting without draining", signo);
          std::_Exit(130);
        }
        spdlog::info("signal {}: draining", signo);
        RequestShutdown();
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);

  http_->Start();
  std::printf("switchyard: listening on http://%s:%u\n", options_.http.host.c_str(), port());
  std::fflush(stdout);

  int exit_code = 0;
  Status started;
  if (options_.grpc_port) {
    auto grpc = GrpcFrontend::Start(options_.http.host, *options_.grpc_port,
                                    {.v2 = v2_, .admission = admission_, .state = state_, .metrics = metrics_},
                                    options_.http.max_body_bytes);
    if (grpc.ok()) {
      grpc_ = std::move(grpc).value();
      std::printf("switchyard: listening on grpc://%s:%u\n", options_.http.host.c_str(), grpc_->port());
      std::fflush(stdout);
    } else {
      started = grpc.status();
    }
  }
  const char* what = started.ok() ? "the executor" : "the gRPC service";
  if (started.ok()) started = slot_.Start(options_.executor);
  if (!started.ok()) {
    spdlog::error("cannot start {}: {}", what, started.message());
    std::fprintf(stderr, "switchyard: cannot start %s: %s\n", what, started.message().c_str());
    exit_code = 1;
  } else {
    state_.ready.store(true);
    const std::string described = slot_.Current()->config().Describe();
    spdlog::info("ready: {}", described);
    std::printf("switchyard: ready (%s)\n", described.c_str());
    std::fflush(stdout);
    if (Status s = StartController(); !s.ok()) {
      spdlog::error("cannot start the controller: {}", s.message());
      std::fprintf(stderr, "switchyard: cannot start the controller: %s\n", s.message().c_str());
      exit_code = 1;
    } else {
      WaitForShutdownRequest();
    }
  }
  Drain();
  signals.cancel();
  http_->Stop();
  slot_.Close().reset();
  spdlog::info("stopped");
  return exit_code;
}

void Server::Drain() {
  // Refuse new connections and requests, finish what was admitted.
  state_.shutting_down.store(true);
  state_.ready.store(false);
  http_->StopAccepting();
  http_->SetDraining();
  StopController();       // no new switch; one under way finishes below
  slot_.StopSwitching();  // lets a switch under way finish
  if (std::shared_ptr<Executor> current = slot_.Current()) current->Drain();
  if (std::shared_ptr<Executor> canary = slot_.Canary()) canary->Drain();
  // The replies of the last jobs are posted to the event loop; let it write them.
  auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
  while (metrics_.requests_in_progress.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Its calls were answered above (or refused once draining began).
  if (grpc_) grpc_->Shutdown(std::chrono::milliseconds(1000));
}

}  // namespace switchyard
