// ExecutorSlot: the executor serving now, and the live switch to another
// configuration (POST /admin/config, the adaptive controller).
//
// A switch builds the new executor, makes it current — new jobs go there —
// moves the old one's backlog (the jobs it had queued and not started) to
// the new one, and then drains the old one, which finishes the jobs it had
// started: a job runs in exactly one executor, so none is dropped or run
// twice, and a backlog that a poor configuration built up is served by its
// replacement instead of outliving it. A moved job keeps its arrival time
// (its queue time counts from admission); one the new executor refuses
// (queue full, over its wait bound) is answered 503 naming why.
//
// Switches run one at a time on the slot's own thread, off the event loops
// (starting worker processes takes milliseconds to seconds).
//
// Thread-safety: Current(), Draining() and RequestSwitch() from any thread;
// Start, StopSwitching and Close from the server's main thread. Lifetime:
// `env`, `state` and `metrics` outlive the slot; destroy after
// StopSwitching (the destructor stops it too).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "core/serial_worker.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "executor/executor.h"
#include "server/server_metrics.h"
#include "server/server_state.h"

namespace switchyard {

class ExecutorSlot {
 public:
  ExecutorSlot(ExecutorEnv& env, const ServerState& state, ServerMetrics& metrics)
      : env_(env), state_(state), metrics_(metrics) {}

  // Starts the first executor (`config` normalised to this server).
  Status Start(const ExecutorConfig& config) EXCLUDES(mu_);

  // The executor new jobs go to; null before Start and after Close.
  std::shared_ptr<Executor> Current() const EXCLUDES(mu_);

  struct Switched {
    ExecutorConfig config;                   // now serving
    std::optional<ExecutorConfig> previous;  // what it replaced
    int64_t start_us = 0;                    // how long its workers took to start
  };
  using SwitchedFn = std::function<void(Result<Switched>)>;
  // Queues a switch to `config` on the slot's thread: it starts `config`'s
  // executor and makes it current; `switched` is called there once it serves
  // new requests, or with the error that kept it from starting (the old one
  // still serving); then the old one drains. False (and `switched` never
  // called) once StopSwitching has begun.
  bool RequestSwitch(ExecutorConfig config, SwitchedFn switched);
  // Refuses further switches and waits for the one under way.
  void StopSwitching() { switcher_.Stop(); }

  // True while an executor switched away from still finishes its backlog.
  bool Draining() const { return draining_.load() > 0; }

  // Takes the current executor out (new jobs find none) and returns it.
  std::shared_ptr<Executor> Close() EXCLUDES(mu_);

 private:
  void Switch(ExecutorConfig config, const SwitchedFn& switched) EXCLUDES(mu_);
  // Takes `from`'s queued jobs and submits them to `to` (see the top).
  void MoveBacklog(Executor& from, Executor& to);
  // `config` as this server runs it: async's workers are the server's event
  // loops; processes' spin resolved for this machine's cores.
  ExecutorConfig Normalize(ExecutorConfig config) const;

  ExecutorEnv& env_;
  const ServerState& state_;
  ServerMetrics& metrics_;
  mutable Mutex mu_;
  std::shared_ptr<Executor> current_ GUARDED_BY(mu_);
  std::atomic<int> draining_{0};
  SerialWorker switcher_;  // last: its thread stops before the rest goes
};

}  // namespace switchyard
