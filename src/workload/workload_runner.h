// WorkloadRunner: runs one ScoreRequest to completion on the calling thread.
//
// The same code runs inside a worker thread, an event-loop thread and a worker
// process, so every executor gives byte-identical answers.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/request.h"
#include "workload/kv_store.h"
#include "workload/sha256_chain.h"

namespace switchyard {

struct WorkloadConfig {
  std::string db_path;  // empty: the io mode answers 501
};

// Not thread-safe: one per worker. Holds that worker's EVP context and SQLite
// connection, so they are reused across requests.
class WorkloadRunner {
 public:
  // Opens the database if the config names one.
  static Result<std::unique_ptr<WorkloadRunner>> Create(const WorkloadConfig& config);

  // Runs `request`; sleep blocks the calling thread. Fills status and
  // result_json, leaves the timings alone.
  ScoreOutcome Run(const ScoreRequest& request);
  ScoreOutcome RunCpu(const ScoreRequest& request);
  ScoreOutcome RunIo(const ScoreRequest& request);

 private:
  WorkloadRunner() = default;
  Sha256Chain sha_;
  std::unique_ptr<KvReader> kv_;
};

// The cpu mode with a caller-owned chain (for threads that serve cpu work only,
// like the async executor's offload pool).
ScoreOutcome RunCpuScore(Sha256Chain& sha, const ScoreRequest& request);

// A JSON string literal for `s` (quotes and escapes added).
std::string JsonQuote(std::string_view s);

}  // namespace switchyard
