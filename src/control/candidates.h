// Candidates: the configurations the adaptive controller chooses among —
// (executor, workers, policy, start method) — from a TOML file or a default
// set sized to the machine.
//
//   [[candidate]]
//   executor = "threads"      # threads | processes | async
//   workers = 2               # 1..1024; not for async, which runs on the
//                             # server's event loops (--io-threads)
//   policy = "fifo"           # any scheduling policy (default fifo)
//   start = "forkserver"      # processes only: fork | forkserver | spawn
//   offload = 2               # async only: helper threads for CPU work (default 0)
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
#include "executor/executor.h"

namespace switchyard {

struct Candidate {
  ExecutorKind executor = ExecutorKind::kThreads;
  int workers = 2;
  std::string policy = "fifo";
  StartMethod start = StartMethod::kForkServer;  // processes only
  int offload = 0;                               // async only

  // "threads/2/fifo", "processes/4/sjf/forkserver", "async/fifo/offload2":
  // stable, for logs and ids (async's workers are the server's loops: not in it).
  std::string Label() const;
  // `base` (the server's configuration) with this candidate's fields.
  ExecutorConfig ApplyTo(ExecutorConfig base) const;
  // The candidate `config` runs now (its other fields ignored).
  static Candidate Of(const ExecutorConfig& config);
  bool operator==(const Candidate& other) const { return Label() == other.Label(); }
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
