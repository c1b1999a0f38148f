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
  if (old) draining_.fetch_add(1);
  switched(std::move(done));
  // The old executor finishes what it had admitted; new jobs already go to the new one.
  if (old) {
    old->Drain();
    draining_.fetch_sub(1);
  }
}

}  // namespace switchyard
