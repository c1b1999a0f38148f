// Request, outcome and job: what travels from the frontend through the
// scheduling queue to an executor and back.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/cost_class.h"
#include "core/predictor_features.h"
#include "core/status.h"

namespace switchyard {

// The three /score modes of seed 003, and model inference (the v2 routes).
enum class ScoreMode : uint8_t { kCpu = 0, kIo = 1, kSleep = 2, kInfer = 3 };

// A validated /score request. Plain data: copied into shared memory or a pipe
// by the process executor, so keep it free of pointers besides `data`.
struct ScoreRequest {
  ScoreMode mode = ScoreMode::kCpu;
  uint64_t iters = 0;         // cpu: SHA-256 chain length
  std::string data;           // cpu: bytes hashed first
  int64_t key = 0;            // io: primary key looked up
  uint32_t sleep_ms = 0;      // sleep: how long to wait
  std::string model;          // infer: the model's name; `data` holds an InferPayload
  int64_t model_version = 0;  // infer: 0 for the newest ready version
};

// The class `request`'s cost is learned under (core/cost_class.h).
CostClass CostClassOf(const ScoreRequest& request);

// What a worker produced: a status and, on success, its result: for the
// /score modes the `result` member of the reply already encoded as a JSON
// value (a quoted string or a number); for infer the output tensors as
// model/tensor.h's EncodeTensors writes them, which the frontend renders as
// JSON or binary as the request asked.
struct ScoreOutcome {
  Status status;
  std::string result;
  int64_t queue_us = 0;    // admitted -> a worker started it
  int64_t service_us = 0;  // a worker started it -> it finished
  // A Python model's GIL figures for this request (model/model_backend.h's
  // InferStats); -1 for anything else.
  int64_t gil_wait_us = -1;
  int64_t gil_hold_us = -1;
  // Dynamic batching: how many requests ran together in this request's
  // inference (0: it ran alone, unbatched), and, on one member of each batch
  // only (batch_leader), the batch's own figures, so they are counted once.
  int batch_size = 0;
  bool batch_leader = false;
  int64_t batch_rows = 0;      // rows (first-dimension entries) of the whole batch
  int64_t batch_queue_us = 0;  // leader: the batch's queue delay (its oldest member's wait)
};

// A model's dynamic batching settings (its config.toml, as Triton names
// them): requests of the same batch key are stacked along the first
// dimension into one inference of at most max_rows rows. A batch waits for
// more requests until it holds one of preferred_rows (or max_rows when none
// is given) or its oldest member has waited max_queue_delay_us.
struct BatchRules {
  int64_t max_rows = 0;
  std::vector<int64_t> preferred_rows;
  int64_t max_queue_delay_us = 0;

  // The rows a batch of `rows` waits no longer for: the largest preferred
  // size it has reached, or max_rows.
  bool Satisfied(int64_t rows) const {
    if (rows >= max_rows) return true;
    for (int64_t p : preferred_rows) {
      if (rows == p) return true;
    }
    return false;
  }
};

// Whether a job was admitted to a queue. On anything but kOk the caller
// still owns the job.
// kOverloaded: the queue has room but the predicted wait of a newcomer is
// past the executor's bound (ExecutorConfig::max_queue_wait_us).
enum class Admission { kOk, kFull, kOverloaded, kClosed };

// One admitted request. The executor that accepts a Job calls `on_done`
// exactly once, from any thread; the callback must be cheap and must not block
// (the frontend only posts the reply to its event loop).
struct Job {
  uint64_t id = 0;
  ScoreRequest request;
  int64_t arrival_us = 0;   // when the frontend admitted it (SteadyClock)
  int64_t priority = 0;     // from the request (v2 parameters.priority); for the policies
  int64_t enqueued_us = 0;  // when the policy took it (set by policies that age jobs)
  int64_t timeout_us = 0;   // from the request (v2 parameters.timeout); 0: none
  // arrival_us + timeout_us, or 0 for none. A job still queued at its deadline
  // is answered DeadlineExceeded then and never runs (WorkQueue).
  int64_t deadline_us = 0;
  // What happens when the deadline passes while the job runs. false: it runs
  // to the end and its reply is counted late. true (the processes executor
  // only; set for Python models, whose code may run on indefinitely): the
  // worker process running it is killed and replaced, and the job answered
  // DeadlineExceeded. A thread cannot be stopped safely mid-call, so the
  // other executors treat it as false.
  bool stop_at_deadline = false;
  std::string client;  // drr: who sent it (X-Client-Id); "" for anonymous
  // The runtime predictor's inputs (cost class, input size, ...), filled by
  // the frontend and WorkQueue, and its guess, set on admission.
  PredictorFeatures features;
  int64_t predicted_us = 0;
  // mlfq: service received so far by a job run in slices, and how many
  // slices it has used up since it last started at the top level (its
  // demotions); 0 for a job that has not run yet.
  int64_t attained_us = 0;
  int slices = 0;
  uint64_t units_done = 0;  // hashes or ms done by those slices
  // Dynamic batching (set by the v2 frontend for a model that batches):
  // queued jobs with equal keys — same model, version, datatypes, non-batch
  // dimensions and outputs asked for — may run as one inference
  // (executor/batching.h); batch_rows is this request's own first dimension.
  std::string batch_key;  // empty: runs alone
  int64_t batch_rows = 0;
  std::shared_ptr<const BatchRules> batch_rules;
  std::function<void(ScoreOutcome)> on_done;
};

}  // namespace switchyard
