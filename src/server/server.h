// Server: the switchyard serving process — HTTP frontend, routes, the current
// executor, live reconfiguration and graceful shutdown.
//
// Routes: POST /score, GET /healthz, GET /readyz, GET /stats,
// POST /admin/config (Bearer token). See docs/api.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "control/candidates.h"
#include "control/controller.h"
#include "core/serial_worker.h"
#include "core/thread_annotations.h"
#include "executor/executor.h"
#include "metrics/machine_load.h"
#include "predict/runtime_predictor.h"
#include "trace/trace_recorder.h"
#include "server/http_server.h"
#include "server/score_api.h"
#include "server/v2_api.h"
#include "server/server_metrics.h"

namespace switchyard {

class PerfCounters;

struct ServerOptions {
  HttpServer::Options http;  // http.loops: the event loops (--io-threads)
  ExecutorConfig executor;
  ScoreLimits limits;
  InferLimits infer_limits;
  std::string admin_token;  // empty: every admin request is refused with 403
  std::chrono::milliseconds drain_timeout{30000};
  // Counters opened by `serve` before it forked anything; not owned, must
  // outlive the Server. Null: /stats reports every perf counter unavailable.
  const PerfCounters* perf_counters = nullptr;
  // Guesses each request's service time for sjf, mlfq and drr, and learns
  // from the answers. Null: the online EWMA (MakeEwmaPredictor).
  std::shared_ptr<RuntimePredictor> predictor;
  std::string trace_out;  // --trace-out: record every answered request here
  // The adaptive controller (--controller other than static): switches the
  // executor, workers and policy among `candidates` as the workload changes.
  struct Adaptive {
    ControllerOptions options;
    std::vector<Candidate> candidates;
  };
  std::optional<Adaptive> adaptive;
};

// Create, port() and Run() from one thread (main); RequestShutdown() from any.
// Lifetime: destroy after Run() returns.
class Server {
 public:
  // Binds the port (InvalidArgument if taken). Starts nothing else yet.
  static Result<std::unique_ptr<Server>> Create(const ServerOptions& options, ExecutorEnv env);
  ~Server();

  uint16_t port() const { return http_->port(); }

  // Starts the event loop and the executor, serves until SIGINT/SIGTERM or
  // RequestShutdown(), then stops accepting, finishes in-flight requests and
  // stops the workers. Returns the process exit code.
  int Run();
  void RequestShutdown();

 private:
  Server(const ServerOptions& options, ExecutorEnv env);

  void Handle(HttpRequest&& request, Responder respond);
  void HandleScore(HttpRequest& request, Responder respond);
  void HandleV2(HttpRequest& request, Responder respond);
  // Admits `job` to the current executor (retrying across a reconfiguration)
  // or answers 503 at once; job.on_done answers otherwise.
  // Stamps `job` (id, arrival), sets its completion — latency figures, then
  // `render(result_json)` as the 200 body or the error reply — and submits it.
  // `request` gives the client id (X-Client-Id) and the body size; the job's
  // own client (from the body) counts when there is no header.
  void SubmitJob(Job& job, const HttpRequest& request, const Responder& respond,
                 std::function<std::string(const ScoreOutcome&)> render);
  void HandleAdminConfig(HttpRequest& request, Responder respond);
  void HandleStatsReset(HttpRequest& request, Responder respond);
  // False (and a 403 sent) unless the request carries the admin token.
  bool AdminAllowed(const HttpRequest& request, const Responder& respond);
  void Reconfigure(ExecutorConfig config, Responder respond);
  // Starts `config`'s executor and makes it current; `switched` is called
  // once it serves new requests (with how long its workers took to start and
  // the configuration it replaced) or with the error that kept it from
  // starting (the old one still serving); then the old one drains. Runs on
  // admin_worker_.
  struct Switched {
    ExecutorConfig config;
    std::optional<ExecutorConfig> previous;
    int64_t start_us = 0;
  };
  void SwitchExecutor(ExecutorConfig config, const std::function<void(Result<Switched>)>& switched);
  // The adaptive controller's view of this server (server.cc).
  class ControllerView;
  Status StartController();
  void StopController();
  std::string RenderStats() const;
  ExecutorConfig Normalize(ExecutorConfig config) const;
  std::shared_ptr<Executor> CurrentExecutor() const EXCLUDES(executor_mu_);

  const ServerOptions options_;
  ExecutorEnv env_;
  V2Api v2_;
  ServerMetrics metrics_;
  std::unique_ptr<HttpServer> http_;
  const int64_t started_us_;
  std::shared_ptr<RuntimePredictor> predictor_;
  std::unique_ptr<TraceRecorder> trace_;  // null without --trace-out
  MachineLoad machine_load_;

  mutable Mutex executor_mu_;
  std::shared_ptr<Executor> executor_ GUARDED_BY(executor_mu_);

  std::atomic<bool> ready_{false};
  std::atomic<bool> shutting_down_{false};
  std::atomic<uint64_t> next_job_id_{1};

  // Runs reconfigurations one at a time, off the event loops.
  SerialWorker admin_worker_;

  // --controller: null when static.
  std::unique_ptr<ControllerView> controller_view_;
  std::unique_ptr<Controller> controller_;
  std::atomic<const Controller*> controller_live_{nullptr};  // for /stats, from the event loops
  std::atomic<int> draining_executors_{0};  // switched away from, still finishing their backlog
  std::thread controller_thread_;

  std::mutex shutdown_mu_;
  std::condition_variable shutdown_cv_;
  bool shutdown_requested_ = false;  // guarded by shutdown_mu_
};

}  // namespace switchyard
