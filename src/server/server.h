// Server: the switchyard serving process's lifecycle — it wires the parts
// together, routes each request to its part, starts the executor and the
// adaptive controller, and shuts down gracefully.
//
// Routes (docs/api.md): POST /score, the Open Inference Protocol under /v2
// (server/inference_routes.h); GET /healthz, GET /readyz; GET /stats
// (server/stats_json.h); POST /admin/config and POST /admin/stats/reset
// behind a bearer token (server/admin_api.h).
//
// The parts, in the order a request meets them: the HTTP transport
// (http_server.h) -> the routes -> admission (job_admission.h) -> the
// executor slot (executor_slot.h: the executor serving now and the live
// switch) -> the executor -> the reply.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <thread>

#include "control/controller.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "executor/executor.h"
#include "metrics/machine_load.h"
#include "predict/runtime_predictor.h"
#include "server/admin_api.h"
#include "server/controller_view.h"
#include "server/executor_slot.h"
#include "server/grpc_frontend.h"
#include "server/http_server.h"
#include "server/inference_routes.h"
#include "server/job_admission.h"
#include "server/python_metrics.h"
#include "server/server_metrics.h"
#include "server/server_options.h"
#include "server/server_state.h"
#include "server/v2_api.h"
#include "trace/trace_recorder.h"

namespace switchyard {

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
  void RequestShutdown() EXCLUDES(shutdown_mu_);

 private:
  Server(const ServerOptions& options, ExecutorEnv env, int64_t started_us,
         std::unique_ptr<TraceRecorder> trace);

  // Routes one request to its handler (404, 405 for what none takes).
  void Handle(HttpRequest&& request, Responder respond);
  Status StartController();
  void StopController();
  void WaitForShutdownRequest() EXCLUDES(shutdown_mu_);
  // Refuses new work, finishes what was admitted, lets the replies go out.
  void Drain();

  const ServerOptions options_;
  ExecutorEnv env_;  // env_.loops: the HTTP server's event loops, once created
  const int64_t started_us_;
  ServerState state_;
  ServerMetrics metrics_;
  MachineLoad machine_load_;
  const std::shared_ptr<RuntimePredictor> predictor_;
  const std::unique_ptr<TraceRecorder> trace_;  // null without --trace-out
  const PythonMetrics python_metrics_;           // the Python models' GIL figures
  V2Api v2_;
  ExecutorSlot slot_;
  JobAdmission admission_;
  InferenceRoutes inference_;
  AdminApi admin_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<GrpcFrontend> grpc_;  // --grpc-port; null without it

  // --controller: null when static.
  std::unique_ptr<ControllerView> controller_view_;
  std::unique_ptr<Controller> controller_;
  std::atomic<const Controller*> controller_live_{nullptr};  // for /stats, from the event loops
  std::thread controller_thread_;

  Mutex shutdown_mu_;
  std::condition_variable shutdown_cv_;
  bool shutdown_requested_ GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace switchyard
