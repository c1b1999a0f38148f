// Candidates: the configurations the adaptive controller chooses among —
// (executor, workers, policy, start method, offload, and for models that
// batch the batch's rows and delay) — from a TOML file or a default set
// sized to the machine. The file's keys, their types, ranges and
// the executors they apply to are the knob table's (executor/config_keys.h).
//
//   [[candidate]]
//   executor = "threads"      # threads | processes | async
//   workers = 2               # 1..1024; not for async, which runs on the
//                             # server's event loops (--io-threads)
//   policy = "fifo"           # any scheduling policy (default fifo)
//   start = "forkserver"      # processes only: fork | forkserver | spawn
//   offload = 2               # async only: helper threads for CPU work (default 0)
//   max_batch = 8             # dynamic batching: rows per batch (1: none;
//                             # default: each model's max_batch_size)
//   batch_delay_us = 2000     # dynamic batching: how long a batch waits to fill
//                             # (default: each model's max_queue_delay_us)
//
// Every problem is reported before the server starts, as
// "FILE:LINE: candidate N: key 'K': what is wrong": unknown keys, an unknown
// executor or policy, zero or missing workers, a key of another executor,
// two candidates that are the same configuration, a file with none.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "executor/config_keys.h"
#include "executor/executor.h"

namespace switchyard {

// A configuration the controller may switch to: the values of the knobs a
// candidates file may give (executor/config_keys.h, kCandidateDialect: today
// executor, workers, policy, start, offload, max_batch, batch_delay_us), held
// in an ExecutorConfig whose other fields mean nothing. A value type: copy
// freely; safe to share.
class Candidate {
 public:
  Candidate() = default;
  // workers: ignored for async (its workers are the server's event loops);
  // start: processes only; offload: async only.
  Candidate(ExecutorKind executor, int workers, std::string policy = "fifo",
            StartMethod start = StartMethod::kForkServer, int offload = 0);
  // The candidate `config` runs now (its other fields ignored).
  static Candidate Of(const ExecutorConfig& config);

  ExecutorKind executor() const { return settings_.kind; }
  int workers() const;  // 0 for async: not the candidate's to choose
  const std::string& policy() const { return settings_.policy; }
  StartMethod start() const { return settings_.start; }
  int offload() const { return settings_.offload; }

  // Sets one knob of the candidates dialect (checked: CheckConfigValue).
  Status Set(const ConfigKey& key, const ConfigValue& value);

  // "threads/2/fifo", "processes/4/sjf/forkserver", "async/fifo/offload2":
  // stable, for logs and ids (async's workers are the server's loops: not
  // in it). Knobs beyond those five add "/name=value" ("/max_batch=8").
  std::string Label() const;
  // `base` (the server's configuration) with this candidate's knobs, those
  // that mean something for its executor and can change live.
  ExecutorConfig ApplyTo(ExecutorConfig base) const;
  // The serve flags that start a server on this candidate (the knobs
  // ApplyTo sets): {"--executor", "threads", "--policy", "fifo", "--workers", "2"}.
  std::vector<std::string> ServeArgs() const;
  bool operator==(const Candidate& other) const { return Label() == other.Label(); }

 private:
  // Whether `key` is one of the candidate's: in the candidates dialect,
  // meaningful for its executor and choosable live.
  bool Chooses(const ConfigKey& key) const;

  ExecutorConfig settings_;
};

inline constexpr int kMaxCandidates = 64;

Result<std::vector<Candidate>> LoadCandidates(const std::string& path);
// `text` as if read from `name` (tests).
Result<std::vector<Candidate>> ParseCandidates(std::string_view text, const std::string& name);

// For a machine with `cores` cores: threads and processes with `cores` and
// 4 x `cores` workers, async with no offload and with `cores` offload
// threads, each under fifo and sjf — 12 candidates, seed 002's count.
std::vector<Candidate> DefaultCandidates(unsigned cores);

}  // namespace switchyard
