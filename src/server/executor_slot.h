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
// The canary: a second configuration may serve a share of new jobs beside
// the current one (the adaptive controller's trial of a candidate, as a
// serving fleet rolls out a change to a slice of its traffic first). Which
// jobs go there is decided by their id (InCanary: a hash, so the split is
// deterministic and independent of the request kinds' order). A canary
// ends in one of two ways: promoted — it becomes current, with no restart,
// and the old current one's backlog moves to it — or ended — new jobs stop
// going there, its backlog moves back to the current one, and it finishes
// the jobs it had started. A switch (POST /admin/config, an escape) ends a
// running canary first, on the same thread, so the order is always: canary
// ended, then the switch.
//
// Switches run one at a time on the slot's own thread, off the event loops
// (starting worker processes takes milliseconds to seconds).
//
// Thread-safety: Current(), Pick(), Canary(), Draining() and the Request*
// calls from any thread;
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

// Whether the job numbered `job_id` goes to a canary taking `share` (0..1)
// of new jobs: a hash of the id below share. Deterministic; over many ids
// the proportion is share.
bool InCanary(uint64_t job_id, double share);

class ExecutorSlot {
 public:
  ExecutorSlot(ExecutorEnv& env, const ServerState& state, ServerMetrics& metrics)
      : env_(env), state_(state), metrics_(metrics) {}

  // Starts the first executor (`config` normalised to this server).
  Status Start(const ExecutorConfig& config) EXCLUDES(mu_);

  // The executor new jobs go to; null before Start and after Close.
  std::shared_ptr<Executor> Current() const EXCLUDES(mu_);

  // Where the job numbered `job_id` goes: the canary for its share of ids
  // while one runs, else the current executor (null before Start, after
  // Close).
  struct Route {
    std::shared_ptr<Executor> executor;
    bool canary = false;
  };
  Route Pick(uint64_t job_id) const EXCLUDES(mu_);
  // The canary's executor; null when none runs.
  std::shared_ptr<Executor> Canary() const EXCLUDES(mu_);

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
  // Queues the start of a canary running `config` for `share` (0 < share
  // <= 0.5) of new jobs; `started` is called on the slot's thread once it
  // takes jobs (start_us: its workers' start), or with the error that kept
  // it from starting (nothing changed). A canary already running is ended
  // first. False once StopSwitching has begun.
  bool RequestCanary(ExecutorConfig config, double share, SwitchedFn started);
  // Queues the end of the canary: promoted (it becomes current) or not (see
  // the top). `done` is called on the slot's thread when new jobs go to
  // their new place (before the drain): Unavailable when no canary
  // ran (a switch ended it). False once StopSwitching has begun.
  bool RequestEndCanary(bool promote, std::function<void(Status)> done);

  // Refuses further switches and waits for the one under way.
  void StopSwitching() { switcher_.Stop(); }

  // True while an executor switched away from still finishes its backlog.
  bool Draining() const { return draining_.load() > 0; }

  // Takes the current executor out (new jobs find none) and returns it; a
  // canary still running is ended and drained first.
  std::shared_ptr<Executor> Close() EXCLUDES(mu_);

 private:
  void Switch(ExecutorConfig config, const SwitchedFn& switched) EXCLUDES(mu_);
  // Takes `from`'s queued jobs and submits them to `to` (see the top).
  void MoveBacklog(Executor& from, Executor& to);
  void StartCanary(ExecutorConfig config, double share, const SwitchedFn& started) EXCLUDES(mu_);
  // Ends the canary (slot thread): promote or not; returns the executor
  // that must now drain (the old current one, or the canary), null when
  // none ran.
  std::shared_ptr<Executor> EndCanary(bool promote) EXCLUDES(mu_);
  // Drains `executor` counted in Draining().
  void DrainOld(const std::shared_ptr<Executor>& executor);
  // `config` as this server runs it: async's workers are the server's event
  // loops; processes' spin resolved for this machine's cores.
  ExecutorConfig Normalize(ExecutorConfig config) const;

  ExecutorEnv& env_;
  const ServerState& state_;
  ServerMetrics& metrics_;
  mutable Mutex mu_;
  std::shared_ptr<Executor> current_ GUARDED_BY(mu_);
  std::shared_ptr<Executor> canary_ GUARDED_BY(mu_);
  double canary_share_ GUARDED_BY(mu_) = 0;
  std::atomic<int> draining_{0};
  SerialWorker switcher_;  // last: its thread stops before the rest goes
};

}  // namespace switchyard
