#include "cli/serve_command.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/config_flags.h"
#include "control/bandit.h"
#include "control/candidates.h"
#include "control/reward.h"
#include "core/duration.h"
#include "core/malloc_tuning.h"
#include "executor/config_keys.h"
#include "executor/process/worker_process.h"
#include "executor/process/zygote.h"
#include "metrics/perf_counters.h"
#include "model/model_repository.h"
#include "predict/xgboost_predictor.h"
#include "workload/kv_store.h"

namespace switchyard {

void AddServeFlags(CLI::App& app, ServeFlags& f) {
  ServerOptions& o = f.server;
  o.executor.workers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // The executor's knobs (--executor, --workers, --policy, ...): the table's.
  AddConfigFlags(app, o.executor);
  app.add_option("--host", o.http.host, "Address to listen on (loopback by default)")->capture_default_str();
  app.add_option("--grpc-port", o.grpc_port,
                 "Also serve the KServe v2 gRPC API (inference.GRPCInferenceService: ModelInfer, metadata, "
                 "health) on this port of --host; 0 picks a free one (printed at start). Off without it");
  app.add_option("--port", o.http.port, "TCP port; 0 picks a free one (printed at start)")
      ->capture_default_str();
  app.add_option("--db", f.db_path,
                 "SQLite database for mode io (make one with `switchyard gen-db`); without it io answers 501")
      ->check(CLI::ExistingFile);
  app.add_option("--models", f.models_dir,
                 "Model repository served on the Open Inference Protocol routes (/v2/...): "
                 "DIR/<name>/<version>/model.pt (TorchScript) or model.py (Python: class Model, "
                 "docs/python-models.md) and DIR/<name>/config.toml (optional for TorchScript, required for "
                 "Python). A model that fails to load is reported and not ready; the others serve")
      ->check(CLI::ExistingDirectory);
  app.add_flag(
      "!--no-warm-up", f.warm_up,
      "Do not run one inference of zeros per model at start-up. The warm-up builds LibTorch's "
      "first-inference state (the optimised plan, allocator pools) once, before workers are "
      "forked, so fork/forkserver workers share it instead of each building its own (distilbert_like "
      "with 4 forkserver workers: 606 -> 501 MiB of PSS), and first requests are not slow");
  app.add_option("--intra-op-threads", f.intra_op_threads,
                 "LibTorch threads one inference may use, per worker (processes: in each worker "
                 "process; threads and async: one pool the workers share); for Python models, the BLAS "
                 "(numpy) threads one call may use, set on every thread that runs Python")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--max-tensor-elements", o.infer_limits.max_elements,
                 "Largest number of input elements one infer request may carry; checked before any "
                 "memory is allocated (400 above)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 34))
      ->capture_default_str();
  app.add_option(
         "--controller", f.controller,
         "static (the configuration given here, the default) or an adaptive controller that switches "
         "executor, workers and policy live among --candidates as the workload changes: epsilon-greedy, "
         "ucb, thompson, contextual (LinUCB on the workload's features); or the baselines random and "
         "round-robin (a new candidate every --min-dwell windows)")
      ->capture_default_str();
  app.add_option("--window", f.window, "The controller's observation window (one decision per window)")
      ->capture_default_str();
  app.add_option(
      "--candidates", f.candidates_file,
      "TOML file of [[candidate]] tables (executor, workers, policy, start, offload); default: 12 "
      "candidates sized to this machine (threads and processes with cores and 4x cores workers, async "
      "with and without offload, each under fifo and sjf)");
  app.add_option(
         "--reward", f.reward,
         "What the controller maximises per window: throughput-p99 (replies/s / (1 + p99 ms)) or slo:MS "
         "(replies/s answered within MS ms)")
      ->capture_default_str();
  app.add_option(
      "--decisions-out", f.decisions_out,
      "Append every controller decision (window figures, features, reward, choice, reason) as a JSON line");
  app.add_option("--min-dwell", f.min_dwell, "Windows the controller stays on a configuration after a switch")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--max-visits", f.max_visits,
                 "Visits the controller makes to a candidate to explore it while the workload's mix stays the "
                 "same; after them, and once the windows' evidence says a candidate cannot beat the serving "
                 "one by the margin, it is chosen only to exploit (a shift of the mix starts afresh)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--explore", f.explore,
                 "How the controller tries a candidate: canary — beside the serving configuration, on "
                 "--canary-share of new requests, switching only when it wins there; switch — by switching "
                 "every request to it for a window")
      ->check(CLI::IsMember({"canary", "switch"}))
      ->capture_default_str();
  app.add_option("--canary-share", f.canary_share,
                 "The share of new requests a candidate on trial serves, above 0 and at most 0.5")
      ->capture_default_str();
  app.add_option("--canary-windows", f.canary_windows, "Scored windows a candidate's trial lasts")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option(
         "--switch-margin", f.switch_margin,
         "An exploiting switch must promise this much more reward than the current configuration (0.05: 5%)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  app.add_option(
         "--capacity-screen", f.capacity_screen,
         "on: the controller does not choose a candidate whose workers cannot hold the waits (sleeps) the "
         "load keeps in progress; off: every candidate may be chosen")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  app.add_option(
         "--settle", f.settle,
         "How long the window after a switch lasts (it teaches nothing: the old configuration finishes "
         "its backlog): drained — until the old configuration has finished what it admitted, at most a "
         "window; window — a whole window")
      ->check(CLI::IsMember({"drained", "window"}))
      ->capture_default_str();
  app.add_option("--controller-seed", f.controller_seed, "Seed of the controller's random choices")
      ->capture_default_str();
  app.add_option("--predictor", f.predictor_model,
                 "Runtime predictor for sjf, mlfq and drr: a model written by `switchyard train-predictor`. "
                 "Default (or when the model does not load, which is reported): an online per-class "
                 "exponentially weighted mean of service times");
  app.add_option("--trace-out", o.trace_out,
                 "Record every answered request as one JSON line (arrival, service and queue time, class, "
                 "client, the predictor's features, status): the input of `switchyard simulate` and "
                 "`switchyard train-predictor`");
  app.add_option("--max-iters", o.limits.max_iters, "Largest cpu iters accepted (400 above)")
      ->capture_default_str();
  app.add_option("--max-sleep-ms", o.limits.max_sleep_ms, "Largest sleep ms accepted (400 above)")
      ->capture_default_str();
  app.add_option("--max-body", o.http.max_body_bytes, "Largest request body in bytes (413 above)")
      ->check(CLI::Range(size_t{64}, size_t{64} << 20))
      ->capture_default_str();
  app.add_option("--max-connections", o.http.max_connections,
                 "Open connections allowed; more are answered 503 and closed")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--read-timeout-ms", f.read_timeout_ms,
                 "A connection must deliver each whole request (headers and body) within this, "
                 "and may sit idle between requests no longer; otherwise it is closed")
      ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}))
      ->capture_default_str();
  app.add_option("--io-threads", o.http.loops,
                 "Event loops (one thread each) serving HTTP; the async executor runs its "
                 "coroutines on them. Default 1, or --workers with --executor async")
      ->check(CLI::Range(1, 256));
  app.add_option("--admin-token-file", f.admin_token_file,
                 "File holding the token that POST /admin/config requires as "
                 "'Authorization: Bearer TOKEN'; without it admin routes answer 403")
      ->check(CLI::ExistingFile);
  app.add_option("--drain-timeout-ms", f.drain_timeout_ms,
                 "On SIGTERM/SIGINT, how long to wait for replies to be written after the work is done")
      ->check(CLI::Range(int64_t{0}, int64_t{3'600'000}))
      ->capture_default_str();
  app.add_option("--log-level", f.log_level, "Log level on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
}

namespace {

Result<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("cannot read --admin-token-file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.erase(0, 1);
  if (token.empty()) return InvalidArgument("--admin-token-file " + path + " is empty");
  if (token.find_first_of(" \t\r\n") != std::string::npos) {
    return InvalidArgument("--admin-token-file " + path + " must hold one token without spaces");
  }
  return token;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "switchyard serve: %s\n", s.message().c_str());
  return 2;
}

// --window: at least 100 ms.
Result<int64_t> ControllerWindowUs(const std::string& text) {
  auto window = ParseDurationUs(text);
  if (!window.ok()) return InvalidArgument("--window: " + window.status().message());
  if (*window < 100'000) return InvalidArgument("--window " + text + ": at least 100ms");
  return *window;
}

// --candidates, or the default set sized to this machine.
Result<std::vector<Candidate>> CandidatesOf(const std::string& file) {
  if (file.empty()) return DefaultCandidates(std::thread::hardware_concurrency());
  auto candidates = LoadCandidates(file);
  if (!candidates.ok()) return InvalidArgument("--candidates: " + candidates.status().message());
  return candidates;
}

// An adaptive --controller (not static) with its options and candidates.
Result<ServerOptions::Adaptive> AdaptiveControllerOf(const ServeFlags& f) {
  ServerOptions::Adaptive a;
  a.options.algorithm = f.controller;
  a.options.bandit.seed = f.controller_seed;
  a.options.min_dwell_windows = f.min_dwell;
  a.options.max_visits = f.max_visits;
  a.options.canary = f.explore == "canary";
  a.options.canary_share = f.canary_share;
  a.options.canary_windows = f.canary_windows;
  if (!(f.canary_share > 0 && f.canary_share <= 0.5)) {
    return InvalidArgument(
        fmt::format("--canary-share {}: the canary's share of new requests must be above 0 and at most 0.5",
                    f.canary_share));
  }
  a.options.switch_margin = f.switch_margin;
  a.options.capacity_screen = f.capacity_screen == "on";
  a.options.settle_when_drained = f.settle == "drained";
  a.options.decisions_out = f.decisions_out;
  auto window = ControllerWindowUs(f.window);
  if (!window.ok()) return window.status();
  a.options.window_us = *window;
  auto reward = ParseReward(f.reward);
  if (!reward.ok()) return reward.status();
  a.options.reward = *reward;
  // The algorithm's name and options, checked now rather than after the
  // workers started.
  if (auto probe = MakeControllerBandit(f.controller, 1, a.options.bandit); !probe.ok()) {
    return InvalidArgument("--controller " + f.controller + ": " + probe.status().message());
  }
  auto candidates = CandidatesOf(f.candidates_file);
  if (!candidates.ok()) return candidates.status();
  a.candidates = std::move(candidates).value();
  return a;
}

// The HTTP event loops: --io-threads, or with --executor async as many as
// its workers (its coroutines run on them).
Result<int> EventLoopsOf(const ServeFlags& f) {
  const ServerOptions& o = f.server;
  if (f.io_threads_given) {
    if (o.executor.kind == ExecutorKind::kAsync && o.http.loops != o.executor.workers && f.workers_given) {
      return InvalidArgument(
          "--executor async runs on the event loops: give --workers or "
          "--io-threads, or the same number to both");
    }
    return o.http.loops;
  }
  return o.executor.kind == ExecutorKind::kAsync ? o.executor.workers : o.http.loops;
}

// The server options the flags imply beyond those CLI11 writes directly:
// the controller, the event loops, the limits and timeouts, the admin token.
Status CompleteServerOptions(ServeFlags& f) {
  ServerOptions& o = f.server;
  if (f.controller != "static") {
    auto adaptive = AdaptiveControllerOf(f);
    if (!adaptive.ok()) return adaptive.status();
    o.adaptive = std::move(adaptive).value();
  } else if (!f.candidates_file.empty() || !f.decisions_out.empty()) {
    return InvalidArgument("--candidates and --decisions-out need an adaptive --controller (not static)");
  }
  auto loops = EventLoopsOf(f);
  if (!loops.ok()) return loops.status();
  o.http.loops = *loops;
  o.executor.max_payload_bytes = o.http.max_body_bytes;
  o.executor.ipc_spin_us = o.executor.ResolvedIpcSpinUs(std::thread::hardware_concurrency());
  o.http.read_timeout = std::chrono::milliseconds(f.read_timeout_ms);
  o.drain_timeout = std::chrono::milliseconds(f.drain_timeout_ms);
  if (!f.admin_token_file.empty()) {
    auto token = ReadToken(f.admin_token_file);
    if (!token.ok()) return token.status();
    o.admin_token = token.value();
  }
  return Status::Ok();
}

Status CheckDatabaseAndExecutor(const ServeFlags& f) {
  if (!f.db_path.empty()) {
    if (Status db = ValidateKvDatabase(f.db_path); !db.ok()) return db;
  }
  return ValidateExecutorConfig(f.server.executor);
}

// --predictor's model, or null: a model that does not load must not stop the
// server (the online estimate serves instead), and the operator is told why.
std::unique_ptr<RuntimePredictor> LoadPredictorOrWarn(const std::string& path) {
  auto model = LoadXgboostPredictor(path);
  if (model.ok()) {
    std::printf("switchyard: runtime predictor: %s\n", path.c_str());
    std::fflush(stdout);
    return std::move(model).value();
  }
  std::printf(
      "switchyard: WARNING: --predictor %s did not load (%s); using the online per-class estimate "
      "(ewma) instead\n",
      path.c_str(), model.status().message().c_str());
  std::fflush(stdout);
  return nullptr;
}

void PrintModelReadiness(const ModelRepository& models, const std::string& dir) {
  int ready = 0;
  for (const auto& [name, m] : models.models()) ready += m.ready() ? 1 : 0;
  std::printf("switchyard: %d of %zu models ready in %s\n", ready, models.models().size(), dir.c_str());
  for (const auto& [name, m] : models.models()) {
    if (!m.ready()) {
      std::printf("switchyard: model %s is NOT ready: %s\n", name.c_str(), m.NotReadyReason().c_str());
    }
  }
}

void WarnIfInferencesOutnumberCores(int workers, int intra_op_threads) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (static_cast<unsigned>(workers * intra_op_threads) <= cores) return;
  // Measured in studies/models.toml: OpenMP teams spinning against each
  // other cut MobileNet's throughput twentyfold.
  std::printf(
      "switchyard: WARNING: %d workers x %d intra-op threads = %d threads for %u cores: "
      "inferences will fight for the cores (one thread per inference and a worker per core is "
      "the throughput setting)\n",
      workers, intra_op_threads, workers * intra_op_threads, cores);
}

// --max-batch and --batch-delay-us change only the models that batch: said
// at start when none does, rather than leaving a user to find out from /stats.
void WarnIfNoModelBatches(const ModelRepository& models, const ExecutorConfig& config) {
  if (config.max_batch == ExecutorConfig::kModelsOwn && config.batch_delay_us == ExecutorConfig::kModelsOwn) {
    return;
  }
  for (const auto& [name, m] : models.models()) {
    if (m.config.dynamic_batching != nullptr) return;
  }
  std::printf(
      "switchyard: WARNING: --max-batch and --batch-delay-us apply to models with [dynamic_batching] in "
      "their config.toml, and none of the %zu models has it: every request runs alone (docs/api.md, "
      "Dynamic batching)\n",
      models.models().size());
}

// --models: loaded (and warmed up) now, before anything is forked, so the
// zygote and every worker forked from it or pre-forked share the weights and
// the first-inference state copy-on-write. Neither leaves a thread running.
Result<std::shared_ptr<const ModelRepository>> LoadModels(const ServeFlags& f) {
  auto models =
      ModelRepository::Load(f.models_dir, [](const std::string& line) { spdlog::info("{}", line); });
  if (!models.ok()) return models.status();
  PrintModelReadiness(**models, f.models_dir);
  WarnIfNoModelBatches(**models, f.server.executor);
  WarnIfInferencesOutnumberCores(f.server.executor.workers, f.intra_op_threads);
  std::fflush(stdout);
  if (f.warm_up) (*models)->WarmUp([](const std::string& line) { spdlog::warn("{}", line); });
  return models;
}

// What the workloads need: the database, the intra-op threads, the models.
Result<ExecutorEnv> ExecutorEnvOf(const ServeFlags& f) {
  ExecutorEnv env;
  env.workload.db_path = f.db_path;
  env.workload.intra_op_threads = f.intra_op_threads;
  if (!f.models_dir.empty()) {
    auto models = LoadModels(f);
    if (!models.ok()) return models.status();
    env.workload.models = std::move(models).value();
    env.workload.models_dir = f.models_dir;
  }
  return env;
}

}  // namespace

int RunServe(ServeFlags& f, const CLI::App& app) {
  // First of all, while this is the only thread and nothing has been forked:
  // inherited perf counters count only tasks created after they are opened,
  // so the zygote, the pre-forked workers and every later thread are in.
  std::unique_ptr<PerfCounters> perf = PerfCounters::Open();
  ServerOptions& o = f.server;
  o.perf_counters = perf.get();
  f.io_threads_given = app.count("--io-threads") > 0;
  f.workers_given = app.count("--workers") > 0;
  // The logger writes synchronously from the calling thread: no thread yet.
  spdlog::set_default_logger(spdlog::stderr_color_mt("switchyard"));
  spdlog::set_level(spdlog::level::from_str(f.log_level));
  std::signal(SIGPIPE, SIG_IGN);
  // Before the zygote forks: it and every forked worker inherit it.
  spdlog::debug("{}", TuneMallocForServing());

  if (Status s = CompleteServerOptions(f); !s.ok()) return Fail(s);
  if (Status s = CheckDatabaseAndExecutor(f); !s.ok()) return Fail(s);
  if (!f.predictor_model.empty()) {
    if (auto predictor = LoadPredictorOrWarn(f.predictor_model)) o.predictor = std::move(predictor);
  }
  auto env = ExecutorEnvOf(f);
  if (!env.ok()) return Fail(env.status());

  // Still single-threaded here: fork the zygote first, so that workers needed
  // later (reconfiguration to processes, replacements) never come from a
  // multi-threaded parent, and so it holds none of the server's sockets.
  auto zygote = Zygote::Start(env->workload.models);
  if (!zygote.ok()) return Fail(zygote.status());
  env->zygote = zygote.value().get();
  std::vector<PreforkedWorker> preforked;
  if (o.executor.kind == ExecutorKind::kProcesses && o.executor.start == StartMethod::kFork) {
    auto workers = PreforkWorkers(o.executor.workers, o.executor, env->workload);
    if (!workers.ok()) return Fail(workers.status());
    preforked = std::move(workers).value();
    env->preforked = &preforked;
  }
  // The pool of the threads and async executors; worker processes set their own.
  if (env->workload.models) env->workload.models->SetIntraOpThreads(f.intra_op_threads);
  auto server = Server::Create(o, *env);
  if (!server.ok()) return Fail(server.status());
  int code = (*server)->Run();
  server.value().reset();
  zygote.value().reset();
  perf.reset();  // after every process and thread it counts is gone
  return code;
}

}  // namespace switchyard
