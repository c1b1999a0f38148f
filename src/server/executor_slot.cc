#include "server/executor_slot.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "executor/event_loops.h"

namespace switchyard {

ExecutorConfig ExecutorSlot::Normalize(ExecutorConfig config) const {
  // The async executor runs on the server's event loops: as many as there are.
  if (config.kind == ExecutorKind::kAsync && env_.loops != nullptr) config.workers = env_.loops->loop_count();
  if (config.kind == ExecutorKind::kProcesses) {
    config.ipc_spin_us = config.ResolvedIpcSpinUs(std::thread::hardware_concurrency());
  }
  return config;
}

Status ExecutorSlot::Start(const ExecutorConfig& config) {
  auto executor = CreateExecutor(Normalize(config), env_);
  if (!executor.ok()) return executor.status();
  MutexLock lock(mu_);
  current_ = std::move(executor).value();
  return Status::Ok();
}

std::shared_ptr<Executor> ExecutorSlot::Current() const {
  MutexLock lock(mu_);
  return current_;
}

std::shared_ptr<Executor> ExecutorSlot::Close() {
  MutexLock lock(mu_);
  return std::move(current_);
}

bool ExecutorSlot::RequestSwitch(ExecutorConfig config, SwitchedFn switched) {
  return switcher_.Post(
      [this, config = std::move(config), switched = std::move(switched)] { Switch(config, switched); });
}

void ExecutorSlot::Switch(ExecutorConfig config, const SwitchedFn& switched) {
  if (state_.shutting_down.load()) return switched(Unavailable("server is shutting down"));
  config = Normalize(config);
  const int64_t t0 = SteadyClock::Now();
  auto created = CreateExecutor(config, env_);
  if (!created.ok()) {
    spdlog::warn("reconfiguration to [{}] failed: {}", config.Describe(), created.status().message());
    return switched(created.status());
  }
  std::shared_ptr<Executor> fresh = std::move(created).value();
  const int64_t t1 = SteadyClock::Now();
  std::shared_ptr<Executor> old;
  {
    MutexLock lock(mu_);
    old = std::move(current_);
    current_ = fresh;
  }
  metrics_.reconfigurations.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("reconfigured to [{}] in {} us", config.Describe(), t1 - t0);
  Switched done{config, old ? std::optional<ExecutorConfig>(old->config()) : std::nullopt, t1 - t0};
  if (old) {
    draining_.fetch_add(1);
    MoveBacklog(*old, *fresh);
  }
  switched(std::move(done));
  // The old executor finishes what it had started; new jobs already go to the new one.
  if (old) {
    old->Drain();
    draining_.fetch_sub(1);
  }
}

void ExecutorSlot::MoveBacklog(Executor& from, Executor& to) {
  std::vector<Job> backlog = from.Withdraw();
  size_t refused = 0;
  for (Job& job : backlog) {
    const Admission admitted = to.Submit(job);
    if (admitted == Admission::kOk) continue;
    ++refused;
    ScoreOutcome outcome;
    outcome.queue_us = SteadyClock::Now() - job.arrival_us;
    outcome.status = Unavailable(admitted == Admission::kFull
                                     ? "queue full: moved from the configuration switched away from, it did not "
                                       "fit the new one's queue (--max-queue)"
                                     : "overloaded: moved from the configuration switched away from, the new "
                                       "one refused it (--max-queue-wait-ms)");
    job.on_done(std::move(outcome));
  }
  if (!backlog.empty()) {
    metrics_.moved_jobs.fetch_add(backlog.size() - refused, std::memory_order_relaxed);
    spdlog::info("moved {} queued jobs to the new configuration ({} refused there)", backlog.size() - refused,
                 refused);
  }
}

}  // namespace switchyard
