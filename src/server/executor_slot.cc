#include "server/executor_slot.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "executor/event_loops.h"

namespace switchyard {

bool InCanary(uint64_t job_id, double share) {
  // splitmix64's finaliser: consecutive ids spread over the whole range.
  uint64_t z = job_id + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53 < share;
}

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

ExecutorSlot::Route ExecutorSlot::Pick(uint64_t job_id) const {
  MutexLock lock(mu_);
  if (canary_ && InCanary(job_id, canary_share_)) return {canary_, true};
  return {current_, false};
}

std::shared_ptr<Executor> ExecutorSlot::Canary() const {
  MutexLock lock(mu_);
  return canary_;
}

std::shared_ptr<Executor> ExecutorSlot::Close() {
  if (std::shared_ptr<Executor> ended = EndCanary(false)) ended->Drain();
  MutexLock lock(mu_);
  return std::move(current_);
}

bool ExecutorSlot::RequestCanary(ExecutorConfig config, double share, SwitchedFn started) {
  return switcher_.Post([this, config = std::move(config), share, started = std::move(started)] {
    StartCanary(config, share, started);
  });
}

bool ExecutorSlot::RequestEndCanary(bool promote, std::function<void(Status)> done) {
  return switcher_.Post([this, promote, done = std::move(done)] {
    std::shared_ptr<Executor> old = EndCanary(promote);
    done(old ? Status::Ok() : Unavailable("no canary runs (a switch ended it)"));
    DrainOld(old);
  });
}

void ExecutorSlot::StartCanary(ExecutorConfig config, double share, const SwitchedFn& started) {
  if (state_.shutting_down.load()) return started(Unavailable("server is shutting down"));
  DrainOld(EndCanary(false));
  config = Normalize(config);
  const int64_t t0 = SteadyClock::Now();
  auto created = CreateExecutor(config, env_);
  if (!created.ok()) {
    spdlog::warn("canary [{}] failed to start: {}", config.Describe(), created.status().message());
    return started(created.status());
  }
  const int64_t t1 = SteadyClock::Now();
  std::optional<ExecutorConfig> current;
  {
    MutexLock lock(mu_);
    canary_ = std::move(created).value();
    canary_share_ = share;
    if (current_) current = current_->config();
  }
  spdlog::info("canary [{}] takes {:.0f}% of new requests (started in {} us)", config.Describe(), share * 100,
               t1 - t0);
  started(Switched{config, current, t1 - t0});
}

std::shared_ptr<Executor> ExecutorSlot::EndCanary(bool promote) {
  std::shared_ptr<Executor> canary, current;
  {
    MutexLock lock(mu_);
    if (!canary_) return nullptr;
    canary = std::move(canary_);
    canary_share_ = 0;
    current = current_;
    if (promote) current_ = canary;
  }
  if (promote) {
    metrics_.reconfigurations.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("canary [{}] promoted: it serves every request", canary->config().Describe());
    if (current) MoveBacklog(*current, *canary);
    return current;
  }
  spdlog::info("canary [{}] ended", canary->config().Describe());
  if (current) MoveBacklog(*canary, *current);
  return canary;
}

void ExecutorSlot::DrainOld(const std::shared_ptr<Executor>& executor) {
  if (!executor) return;
  draining_.fetch_add(1);
  executor->Drain();
  draining_.fetch_sub(1);
}

bool ExecutorSlot::RequestSwitch(ExecutorConfig config, SwitchedFn switched) {
  return switcher_.Post(
      [this, config = std::move(config), switched = std::move(switched)] { Switch(config, switched); });
}

void ExecutorSlot::Switch(ExecutorConfig config, const SwitchedFn& switched) {
  if (state_.shutting_down.load()) return switched(Unavailable("server is shutting down"));
  // A canary running ends first: the switch replaces whatever served.
  DrainOld(EndCanary(false));
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
