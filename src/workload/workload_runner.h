// WorkloadRunner: runs one ScoreRequest to completion on the calling thread.
//
// The same code runs inside a worker thread, an event-loop thread and a worker
// process, so every executor gives byte-identical answers.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/request.h"
#include "model/model_repository.h"
#include "workload/kv_store.h"
#include "workload/sha256_chain.h"

namespace switchyard {

struct WorkloadConfig {
  std::string db_path;  // empty: the io mode answers 501
  // The loaded models (shared by every worker of a process; a process forked
  // after loading shares the weights copy-on-write), or null.
  std::shared_ptr<const ModelRepository> models;
  // Where they came from: a worker started with `spawn` loads them afresh.
  std::string models_dir;
  int intra_op_threads = 1;  // LibTorch threads one inference may use
};

// Not thread-safe: one per worker. Holds that worker's EVP context and SQLite
// connection, so they are reused across requests.
class WorkloadRunner {
 public:
  // Opens the database if the config names one.
  static Result<std::unique_ptr<WorkloadRunner>> Create(const WorkloadConfig& config);

  // Runs `request`; sleep blocks the calling thread. Fills status and
  // result, leaves the timings alone.
  ScoreOutcome Run(const ScoreRequest& request);
  ScoreOutcome RunCpu(const ScoreRequest& request);
  ScoreOutcome RunIo(const ScoreRequest& request);
  // Decodes the InferPayload in request.data, runs the model and returns
  // the outputs asked for as EncodeTensors bytes (the frontend renders them
  // as JSON or binary). Const and safe to call from many
  // threads at once (the models are).
  ScoreOutcome RunInfer(const ScoreRequest& request) const;
  // Whether the async executor must run `request` on its model's own loop
  // rather than on an event-loop thread: a model that needs one (Python: the
  // HTTP loops never take the GIL), unless `offload` takes a plain (not
  // coroutine) infer to the offload threads instead.
  bool InfersOnModelLoop(const ScoreRequest& request, bool offload) const;
  // RunInfer on the model's loop `lane` (LoadedModel::InferOnLoop). Never
  // blocks. `deliver` is called once, on the model loop's thread, with a
  // `finish` that makes the outcome: run it on the caller's own thread (it
  // renders the outputs, which should not happen under the model loop's GIL).
  using Finisher = std::function<ScoreOutcome()>;
  void RunInferOnLoop(const ScoreRequest& request, size_t lane, std::function<void(Finisher)> deliver) const;

 private:
  WorkloadRunner() = default;
  std::shared_ptr<const ModelRepository> models_;
  Sha256Chain sha_;
  std::unique_ptr<KvReader> kv_;
};

// The cpu mode with a caller-owned chain (for threads that serve cpu work only,
// like the async executor's offload pool).
ScoreOutcome RunCpuScore(Sha256Chain& sha, const ScoreRequest& request);

}  // namespace switchyard
