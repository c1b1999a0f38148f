// ExecutorConfig: which executor runs the work and how — its kind, workers,
// scheduling policy, queue bounds and per-kind knobs — and the names of the
// kinds, start methods and IPCs as every dialect spells them.
//
// Plain data. Its knobs' names, ranges and dialects are declared once, in
// the knob table (executor/config_keys.h), which also validates a whole
// configuration (ValidateExecutorConfig).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "policy/policy.h"

namespace switchyard {

enum class ExecutorKind { kThreads, kProcesses, kAsync };
enum class StartMethod { kFork, kForkServer, kSpawn };
enum class IpcKind { kShm, kPipe };

std::string_view ExecutorKindName(ExecutorKind kind);
std::string_view StartMethodName(StartMethod method);
std::string_view IpcKindName(IpcKind kind);
Result<ExecutorKind> ParseExecutorKind(std::string_view name);
Result<StartMethod> ParseStartMethod(std::string_view name);
Result<IpcKind> ParseIpcKind(std::string_view name);

struct ExecutorConfig {
  ExecutorKind kind = ExecutorKind::kThreads;
  int workers = 2;  // threads, processes or event loops
  std::string policy = "fifo";
  PolicyOptions policy_options;  // priority levels, aging
  size_t max_queue = 1024;       // admitted but not started
  // Admission control: refuse (503) while the predicted wait of a newcomer
  // — the queued jobs' predicted service over the workers — exceeds this.
  // 0: off, only max_queue bounds the queue.
  int64_t max_queue_wait_us = 0;
  // Dynamic batching, for the models that have it (config.toml's
  // [dynamic_batching]): overrides the knobs a controller or an operator
  // tunes live. kModelsOwn (-1) keeps each model's own setting.
  static constexpr int kModelsOwn = -1;
  int max_batch = kModelsOwn;           // rows per batch, at most max_batch_size; 1: no batching
  int64_t batch_delay_us = kModelsOwn;  // replaces the model's max_queue_delay_us
  // processes only
  StartMethod start = StartMethod::kForkServer;
  IpcKind ipc = IpcKind::kShm;
  // Busy-poll before sleeping on the wake-up fd; kAutoSpin picks by core count
  // (see ResolvedIpcSpinUs).
  static constexpr int kAutoSpin = -1;
  int ipc_spin_us = kAutoSpin;
  size_t max_payload_bytes = 1 << 20;  // largest ScoreRequest::data; sizes shm slots
  // async only: `workers` is the number of the server's event loops
  int offload = 0;           // helper threads for cpu work; 0: run it on the loop
  int max_in_flight = 4096;  // coroutines alive per loop

  std::string Describe() const;  // one line, for logs
  // ipc_spin_us, with kAutoSpin resolved: spinning pays only when every
  // spinner (a worker and its dispatcher thread, per worker) has a core to
  // itself next to the event loop; on a busier machine it steals the CPU the
  // work needs (on 2 cores, 50 µs of spin doubled the low-load latency).
  int ResolvedIpcSpinUs(unsigned cores) const;
};

}  // namespace switchyard
