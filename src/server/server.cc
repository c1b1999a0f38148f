#include "server/server.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>

#include "executor/config_json.h"
#include "metrics/perf_counters.h"
#include "metrics/process_tree.h"
#include "server/json_reply.h"
#include "server/server_window.h"

namespace switchyard {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

json HistogramJson(const LatencyHistogram& h) {
  return {{"count", h.count()},        {"mean", h.mean()},          {"p50", h.Percentile(0.50)},
          {"p95", h.Percentile(0.95)}, {"p99", h.Percentile(0.99)}, {"max", h.max()}};
}

}  // namespace

Server::Server(const ServerOptions& options, ExecutorEnv env)
    : options_(options),
      env_(env),
      v2_(env.workload.models, options.infer_limits),
      started_us_(SteadyClock::Now()) {}

// What the controller sees of the server and how it switches it: the
// window figures from ServerMetrics, and SwitchExecutor on the admin worker,
// waited for.
class Server::ControllerView final : public ControlledServer {
 public:
  ControllerView(Server& server, double slo_ms)
      : server_(server), window_(server.metrics_, slo_ms, SteadyClock::Now()) {}

  WindowStats Observe() override {
    std::shared_ptr<Executor> executor = server_.CurrentExecutor();
    const double queued = executor ? static_cast<double>(executor->queued()) : 0;
    return window_.Observe(SteadyClock::Now(), queued, server_.machine_load_.CpuUtilisation());
  }

  bool Draining() const override { return server_.draining_executors_.load() > 0; }

  Status Apply(const Candidate& candidate, int64_t* start_us) override {
    std::shared_ptr<Executor> executor = server_.CurrentExecutor();
    if (!executor) return Unavailable("no executor");
    const ExecutorConfig config = candidate.ApplyTo(executor->config());
    auto done = std::make_shared<std::promise<Result<Switched>>>();
    std::future<Result<Switched>> result = done->get_future();
    const bool posted = server_.admin_worker_.Post([this, config, done] {
      server_.SwitchExecutor(config, [done](Result<Switched> r) { done->set_value(std::move(r)); });
    });
    if (!posted) return Unavailable("server is shutting down");
    Result<Switched> r = result.get();
    if (!r.ok()) return r.status();
    *start_us = r->start_us;
    return Status::Ok();
  }

 private:
  Server& server_;
  ServerWindow window_;
};

Server::~Server() { StopController(); }

Status Server::StartController() {
  if (!options_.adaptive) return Status::Ok();
  const ServerOptions::Adaptive& a = *options_.adaptive;
  const double slo_ms = a.options.reward.kind == RewardSpec::Kind::kSloGoodput ? a.options.reward.slo_ms : 0;
  controller_view_ = std::make_unique<ControllerView>(*this, slo_ms);
  // The candidates are distinct (LoadCandidates refuses repeats); the
  // configuration serving now joins them if it is not one.
  auto controller = Controller::Create(a.options, a.candidates, Candidate::Of(CurrentExecutor()->config()),
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

Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options, ExecutorEnv env) {
  Status valid = options.executor.Validate();
  if (!valid.ok()) return valid;
  std::unique_ptr<Server> server(new Server(options, env));
  server->predictor_ =
      options.predictor ? options.predictor : std::shared_ptr<RuntimePredictor>(MakeEwmaPredictor());
  if (!options.trace_out.empty()) {
    auto trace = TraceRecorder::Open(options.trace_out, server->started_us_);
    if (!trace.ok()) return trace.status();
    server->trace_ = std::move(trace).value();
  }
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

ExecutorConfig Server::Normalize(ExecutorConfig config) const {
  // The async executor runs on the server's event loops: as many as there are.
  if (config.kind == ExecutorKind::kAsync) config.workers = http_->loop_count();
  if (config.kind == ExecutorKind::kProcesses) {
    config.ipc_spin_us = config.ResolvedIpcSpinUs(std::thread::hardware_concurrency());
  }
  return config;
}

std::shared_ptr<Executor> Server::CurrentExecutor() const {
  MutexLock lock(executor_mu_);
  return executor_;
}

void Server::RequestShutdown() {
  {
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    shutdown_requested_ = true;
  }
  shutdown_cv_.notify_all();
}

int Server::Run() {
  asio::signal_set signals(http_->loop(0), SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (shutting_down_.load()) {
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
  auto executor = CreateExecutor(Normalize(options_.executor), env_);
  if (!executor.ok()) {
    spdlog::error("cannot start the executor: {}", executor.status().message());
    std::fprintf(stderr, "switchyard: cannot start the executor: %s\n", executor.status().message().c_str());
    exit_code = 1;
  } else {
    {
      MutexLock lock(executor_mu_);
      executor_ = std::move(executor).value();
    }
    ready_.store(true);
    std::string described = CurrentExecutor()->config().Describe();
    spdlog::info("ready: {}", described);
    std::printf("switchyard: ready (%s)\n", described.c_str());
    std::fflush(stdout);
    if (Status s = StartController(); !s.ok()) {
      spdlog::error("cannot start the controller: {}", s.message());
      std::fprintf(stderr, "switchyard: cannot start the controller: %s\n", s.message().c_str());
      exit_code = 1;
    } else {
      std::unique_lock<std::mutex> lock(shutdown_mu_);
      shutdown_cv_.wait(lock, [&] { return shutdown_requested_; });
    }
  }

  // Drain: refuse new connections and requests, finish what was admitted.
  shutting_down_.store(true);
  ready_.store(false);
  http_->StopAccepting();
  http_->SetDraining();
  StopController();      // no new switch; one under way finishes below
  admin_worker_.Stop();  // lets a reconfiguration under way finish
  std::shared_ptr<Executor> current = CurrentExecutor();
  if (current) current->Drain();
  // The replies of the last jobs are posted to the event loop; let it write them.
  auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
  while (metrics_.requests_in_progress.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  signals.cancel();
  http_->Stop();
  {
    MutexLock lock(executor_mu_);
    executor_.reset();
  }
  current.reset();
  spdlog::info("stopped");
  return exit_code;
}

void Server::Handle(HttpRequest&& request, Responder respond) {
  const std::string& path = request.path;
  const std::string& method = request.method;
  auto only = [&](const char* allowed) {
    if (method == allowed) return true;
    HttpReply reply = JsonReply(
        405, RenderError("method " + method + " not allowed on " + path + " (use " + allowed + ")"));
    reply.headers.emplace_back("Allow", allowed);
    respond(std::move(reply));
    return false;
  };
  if (path == "/score") {
    if (only("POST")) HandleScore(request, std::move(respond));
  } else if (path == "/healthz") {
    if (only("GET")) respond(JsonReply(200, R"({"status":"ok"})"));
  } else if (path == "/readyz") {
    if (!only("GET")) return;
    if (ready_.load()) {
      respond(JsonReply(200, R"({"ready":true})"));
    } else {
      respond(ErrorReply(Unavailable(shutting_down_ ? "shutting down" : "workers are starting")));
    }
  } else if (path == "/stats") {
    if (only("GET")) respond(JsonReply(200, RenderStats()));
  } else if (path == "/admin/config") {
    if (only("POST")) HandleAdminConfig(request, std::move(respond));
  } else if (V2Api::Owns(path)) {
    HandleV2(request, std::move(respond));
  } else if (path == "/admin/stats/reset") {
    if (only("POST")) HandleStatsReset(request, std::move(respond));
  } else {
    respond(JsonReply(404, RenderError("no route for " + path +
                                       " (routes: /score, /healthz, /readyz, /stats, /v2/..., /admin/config, "
                                       "/admin/stats/reset)")));
  }
}

void Server::HandleScore(HttpRequest& request, Responder respond_to_client) {
  Responder respond = [this, r = std::move(respond_to_client)](HttpReply reply) {
    metrics_.CountScore(reply.status);
    r(std::move(reply));
  };
  if (shutting_down_.load()) return respond(ErrorReply(Unavailable("server is shutting down")));
  if (!ready_.load()) return respond(ErrorReply(Unavailable("workers are starting")));
  ScoreScheduling scheduling;
  auto parsed = ParseScoreRequest(request.body, options_.limits, &scheduling);
  if (!parsed.ok()) return respond(ErrorReply(parsed.status()));
  if (parsed->data.size() > options_.executor.max_payload_bytes) {
    return respond(ErrorReply(InvalidArgument(
        "field 'data' exceeds " + std::to_string(options_.executor.max_payload_bytes) + " bytes")));
  }
  Job job;
  job.request = std::move(parsed).value();
  job.priority = scheduling.priority;
  job.timeout_us = scheduling.timeout_us;
  job.client = std::move(scheduling.client);
  SubmitJob(job, request, respond, [](const ScoreOutcome& outcome) { return RenderScoreReply(outcome); });
}

void Server::SubmitJob(Job& job, const HttpRequest& request, const Responder& respond,
                       std::function<std::string(const ScoreOutcome&)> render) {
  if (!request.client_id.empty()) {
    Status valid = ValidateClientId(request.client_id, "header X-Client-Id");
    if (!valid.ok()) return respond(ErrorReply(valid));
    job.client = request.client_id;
  }
  job.id = next_job_id_.fetch_add(1, std::memory_order_relaxed);
  job.arrival_us = SteadyClock::Now();
  if (job.timeout_us > 0) job.deadline_us = job.arrival_us + job.timeout_us;
  // The predictor's features, and its guess for sjf, mlfq and drr.
  PredictorFeatures& f = job.features;
  f.cost_class = CostClassOf(job.request);
  f.input_bytes = static_cast<int64_t>(request.body.size());
  f.cpu_utilisation = machine_load_.CpuUtilisation();
  f.hour_of_day = machine_load_.HourOfDay();
  // requests_in_progress counts this request too (read, not yet answered).
  f.in_system = std::max<int64_t>(0, metrics_.requests_in_progress.load(std::memory_order_relaxed) - 1);
  if (std::shared_ptr<Executor> executor = CurrentExecutor())
    f.queue_length = static_cast<int64_t>(executor->queued());
  job.predicted_us = predictor_->PredictUs(f);
  const auto kind = static_cast<size_t>(f.cost_class.kind());
  metrics_.admitted_by_kind[kind].fetch_add(1, std::memory_order_relaxed);
  metrics_.admitted_predicted_us[kind].fetch_add(
      static_cast<uint64_t>(std::max<int64_t>(0, job.predicted_us)), std::memory_order_relaxed);
  if (job.request.mode == ScoreMode::kSleep) {
    metrics_.admitted_sleep_us.fetch_add(uint64_t{job.request.sleep_ms} * 1000, std::memory_order_relaxed);
  }
  job.on_done = [this, respond, render = std::move(render), arrival = job.arrival_us, features = job.features,
                 client = trace_ ? job.client : std::string(),
                 priority = job.priority](ScoreOutcome outcome) {
    metrics_.queue_us.Record(outcome.queue_us);
    metrics_.service_us.Record(outcome.service_us);
    metrics_.total_us.Record(SteadyClock::Now() - arrival);
    if (outcome.status.ok()) predictor_->Observe(features, outcome.service_us);
    if (trace_) {
      trace_->Record(features,
                     {.arrival_us = arrival,
                      .service_us = outcome.service_us,
                      .queue_us = outcome.queue_us,
                      .client = client,
                      .priority = priority,
                      .http_status = outcome.status.ok() ? 200 : HttpStatusOf(outcome.status.code())});
    }
    (outcome.status.ok() ? metrics_.jobs_ok : metrics_.jobs_failed).fetch_add(1, std::memory_order_relaxed);
    if (outcome.status.ok()) {
      respond(JsonReply(200, render(outcome)));
    } else {
      respond(ErrorReply(outcome.status));
    }
  };
  // A reconfiguration may close the executor we picked between picking it and
  // submitting: then the new one is current, and we submit there.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::shared_ptr<Executor> executor = CurrentExecutor();
    if (!executor || shutting_down_.load()) break;
    const int levels = executor->config().policy_options.priority_levels;
    if (job.priority > levels) {
      return respond(
          ErrorReply(InvalidArgument("priority " + std::to_string(job.priority) + " is outside 0.." +
                                     std::to_string(levels) + " (--priority-levels)")));
    }
    switch (executor->Submit(job)) {
      case Admission::kOk:
        return;
      case Admission::kOverloaded:
        metrics_.jobs_failed.fetch_add(1, std::memory_order_relaxed);
        return respond(ErrorReply(Unavailable(
            "overloaded: the predicted wait of " + std::to_string(executor->PredictedWaitUs() / 1000) +
            " ms is past the bound of " + std::to_string(executor->config().max_queue_wait_us / 1000) +
            " ms (--max-queue-wait-ms)")));
      case Admission::kFull:
        metrics_.jobs_failed.fetch_add(1, std::memory_order_relaxed);
        return respond(ErrorReply(Unavailable("queue full (" + std::to_string(executor->config().max_queue) +
                                              " waiting, --max-queue)")));
      case Admission::kClosed:
        std::this_thread::yield();
        continue;
    }
  }
  respond(ErrorReply(Unavailable("server is shutting down")));
}

void Server::HandleV2(HttpRequest& request, Responder respond) {
  V2Api::Route route = V2Api::Parse(request.path);
  if (route.kind != V2Api::Route::kInfer) {
    return respond(v2_.HandleMetadata(route, request.method, ready_.load() && !shutting_down_.load()));
  }
  if (request.method != "POST") {
    HttpReply reply = JsonReply(
        405, RenderError("method " + request.method + " not allowed on " + request.path + " (use POST)"));
    reply.headers.emplace_back("Allow", "POST");
    return respond(std::move(reply));
  }
  if (shutting_down_.load()) return respond(ErrorReply(Unavailable("server is shutting down")));
  if (!ready_.load()) return respond(ErrorReply(Unavailable("workers are starting")));
  auto prepared = v2_.PrepareInfer(route, request.body);
  if (!prepared.ok()) return respond(ErrorReply(prepared.status()));
  auto p = std::make_shared<V2Api::Prepared>(std::move(prepared).value());
  Job job = std::move(p->job);
  SubmitJob(job, request, respond,
            [p](const ScoreOutcome& outcome) { return V2Api::RenderInferReply(*p, outcome.result_json); });
}

bool Server::AdminAllowed(const HttpRequest& request, const Responder& respond) {
  if (options_.admin_token.empty()) {
    respond(ErrorReply(
        {StatusCode::kForbidden, "admin routes are disabled: start the server with --admin-token-file"}));
    return false;
  }
  if (request.authorization != "Bearer " + options_.admin_token) {
    respond(
        ErrorReply({StatusCode::kForbidden, "missing or wrong admin token (Authorization: Bearer TOKEN)"}));
    return false;
  }
  return true;
}

void Server::HandleStatsReset(HttpRequest& request, Responder respond) {
  if (!AdminAllowed(request, respond)) return;
  // A measuring window starts here: latency histograms and reply counters
  // restart from zero. Process and connection figures are cumulative OS or
  // gauge values; take differences of two /stats reads for those.
  metrics_.queue_us.Reset();
  metrics_.service_us.Reset();
  metrics_.total_us.Reset();
  for (auto& c : metrics_.score_by_status) c.store(0, std::memory_order_relaxed);
  for (auto& c : metrics_.replies_by_status) c.store(0, std::memory_order_relaxed);
  respond(JsonReply(200, R"({"ok":true})"));
}

void Server::HandleAdminConfig(HttpRequest& request, Responder respond) {
  if (!AdminAllowed(request, respond)) return;
  if (shutting_down_.load()) return respond(ErrorReply(Unavailable("server is shutting down")));
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return respond(ErrorReply(InvalidArgument("malformed JSON")));
  std::shared_ptr<Executor> current = CurrentExecutor();
  if (!current) return respond(ErrorReply(Unavailable("workers are starting")));
  ExecutorConfig config = current->config();
  Status patched = ApplyConfigPatch(body, config);
  if (!patched.ok()) return respond(ErrorReply(patched));
  // Starting workers takes milliseconds to seconds: never on the event loop.
  auto task = [this, config, respond]() mutable { Reconfigure(config, std::move(respond)); };
  if (!admin_worker_.Post(std::move(task))) respond(ErrorReply(Unavailable("server is shutting down")));
}

void Server::Reconfigure(ExecutorConfig config, Responder respond) {
  SwitchExecutor(std::move(config), [&respond](Result<Switched> r) {
    if (!r.ok()) return respond(ErrorReply(r.status()));
    json reply = {{"ok", true},
                  {"config", ConfigJson(r->config)},
                  {"previous", r->previous ? ConfigJson(*r->previous) : json(nullptr)},
                  {"start_us", r->start_us}};
    respond(JsonReply(200, reply.dump()));
  });
}

void Server::SwitchExecutor(ExecutorConfig config, const std::function<void(Result<Switched>)>& switched) {
  if (shutting_down_.load()) return switched(Unavailable("server is shutting down"));
  config = Normalize(config);
  int64_t t0 = SteadyClock::Now();
  auto created = CreateExecutor(config, env_);
  if (!created.ok()) {
    spdlog::warn("reconfiguration to [{}] failed: {}", config.Describe(), created.status().message());
    return switched(created.status());
  }
  std::shared_ptr<Executor> fresh = std::move(created).value();
  int64_t t1 = SteadyClock::Now();
  std::shared_ptr<Executor> old;
  {
    MutexLock lock(executor_mu_);
    old = std::move(executor_);
    executor_ = fresh;
  }
  metrics_.reconfigurations.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("reconfigured to [{}] in {} us", config.Describe(), t1 - t0);
  Switched done{config, old ? std::optional<ExecutorConfig>(old->config()) : std::nullopt, t1 - t0};
  if (old) draining_executors_.fetch_add(1);
  switched(std::move(done));
  // The old executor finishes what it had admitted; new jobs already go to the new one.
  if (old) {
    old->Drain();
    draining_executors_.fetch_sub(1);
  }
}

namespace {

json CountersJson(const std::array<std::atomic<uint64_t>, 600>& counters) {
  json by_status = json::object();
  uint64_t total = 0;
  for (size_t s = 100; s < counters.size(); ++s) {
    uint64_t n = counters[s].load(std::memory_order_relaxed);
    if (n != 0) {
      by_status[std::to_string(s)] = n;
      total += n;
    }
  }
  return {{"total", total}, {"by_status", by_status}};
}

// The whole tree under this process: the server, the zygote, worker processes.
json ProcessTreeJson(const ProcessTreeFigures& t) {
  return {{"processes", t.processes},
          {"cpu_user_s", t.cpu_user_s},
          {"cpu_system_s", t.cpu_system_s},
          {"voluntary_ctxt_switches", t.voluntary_ctxt_switches},
          {"involuntary_ctxt_switches", t.involuntary_ctxt_switches},
          {"minor_faults", t.minor_faults},
          {"major_faults", t.major_faults},
          {"rss_bytes", t.rss_bytes},
          {"pss_bytes", t.pss_bytes}};
}

// Sets j["perf"] (a number or null per counter) and j["perf_unavailable"]
// (the reason for each null): an unavailable counter is never a zero.
void AddPerfJson(const PerfCounters* counters, json& j) {
  json values = json::object();
  json unavailable = json::object();
  if (counters == nullptr) {
    for (int i = 0; i < kPerfCounterCount; ++i) {
      std::string name(PerfCounterName(static_cast<PerfCounterId>(i)));
      values[name] = nullptr;
      unavailable[name] = "perf counters were not opened in this server";
    }
  } else {
    for (const PerfReading& r : counters->Read()) {
      std::string name(r.name);
      if (r.value) {
        values[name] = *r.value;
      } else {
        values[name] = nullptr;
        unavailable[name] = r.unavailable_reason;
      }
    }
  }
  j["perf"] = std::move(values);
  j["perf_unavailable"] = std::move(unavailable);
}

}  // namespace

std::string Server::RenderStats() const {
  std::shared_ptr<Executor> executor = CurrentExecutor();
  json j;
  j["ready"] = ready_.load();
  j["uptime_s"] = static_cast<double>(SteadyClock::Now() - started_us_) / 1e6;
  json config = executor ? ConfigJson(executor->config()) : ConfigJson(options_.executor);
  config["port"] = port();
  config["io_threads"] = options_.http.loops;
  config["max_iters"] = options_.limits.max_iters;
  config["max_body_bytes"] = options_.http.max_body_bytes;
  config["max_connections"] = options_.http.max_connections;
  j["config"] = config;
  j["predictor"] = {{"name", predictor_->name()}};
  const Controller* controller = controller_live_.load();
  j["controller"] = controller ? controller->StatsJson() : json{{"algorithm", "static"}, {"switches", 0}};
  j["score"] = CountersJson(metrics_.score_by_status);      // POST /score replies
  j["replies"] = CountersJson(metrics_.replies_by_status);  // every reply
  if (executor) {
    ExecutorStats s = executor->Stats();
    j["queue_length"] = s.queued;
    j["in_flight"] = s.in_flight;
    j["executor"] = {{"kind", s.kind},
                     {"workers", s.workers},
                     {"queued", s.queued},
                     {"in_flight", s.in_flight},
                     {"completed", s.completed},
                     {"worker_restarts", s.worker_restarts},
                     {"worker_pids", s.worker_pids}};
  } else {
    j["queue_length"] = 0;
    j["in_flight"] = 0;
  }
  j["requests_in_progress"] = metrics_.requests_in_progress.load();
  j["connections"] = {{"active", metrics_.active_connections.load()},
                      {"accepted", metrics_.accepted_connections.load()},
                      {"refused", metrics_.refused_connections.load()},
                      {"timed_out", metrics_.timed_out_connections.load()}};
  j["reconfigurations"] = metrics_.reconfigurations.load();
  j["latency_us"] = {{"queue", HistogramJson(metrics_.queue_us)},
                     {"service", HistogramJson(metrics_.service_us)},
                     {"total", HistogramJson(metrics_.total_us)}};
  // About 1 ms of /proc reads (a scan of every process on the machine to
  // find the tree, then a few files per member), here on the event loop:
  // /stats is read now and then by people and studies, not per request.
  auto tree = ReadProcessTree(::getpid());
  if (tree.ok()) {
    j["process_tree"] = ProcessTreeJson(*tree);
  } else {
    j["process_tree"] = nullptr;
    j["process_tree_error"] = tree.status().message();
  }
  AddPerfJson(options_.perf_counters, j);
  return j.dump();
}

}  // namespace switchyard
