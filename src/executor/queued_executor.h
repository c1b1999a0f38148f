// QueuedExecutor: the scaffolding every executor shares — its configuration,
// its scheduling queue (a WorkQueue ordered by the configured policy, with
// admission control's wait bound), the count of jobs completed, and the
// Executor getters and Stats built from them. A subclass starts its workers,
// runs the jobs and says how many are running; StartExecutor builds one.
//
// Thread-safety: as Executor. The queue is thread-safe; the completed count
// is atomic; config_ and clock_ are immutable.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "executor/executor.h"
#include "executor/work_queue.h"

namespace switchyard {

class QueuedExecutor : public Executor {
 public:
  const ExecutorConfig& config() const final { return config_; }
  size_t queued() const final { return queue_.size(); }
  int64_t PredictedWaitUs() const final { return queue_.PredictedWaitUs(); }
  std::vector<Job> Withdraw() final {
    std::vector<Job> jobs = queue_.Withdraw();
    if (!jobs.empty()) OnWithdrawn(jobs.size());
    return jobs;
  }
  // kind, workers, queued, in_flight, completed; a subclass adds its own.
  ExecutorStats Stats() const override;

 protected:
  // `kind`: Stats' name for it ("threads"). `servers`: how many run queued
  // jobs side by side — the workers admission control spreads the queue's
  // predicted service over (ExecutorConfig::max_queue_wait_us).
  QueuedExecutor(std::string_view kind, const ExecutorConfig& config, ExecutorEnv& env,
                 std::unique_ptr<Policy> policy, int servers, WorkQueue::Hooks hooks = {});

  // Jobs started and not finished.
  virtual size_t InFlight() const = 0;
  // `n` queued jobs were withdrawn: an executor that counts its jobs (async)
  // forgets them.
  virtual void OnWithdrawn(size_t /*n*/) {}
  // The workers Stats reports (the configuration's, unless said otherwise).
  virtual int WorkersRunning() const { return config_.workers; }
  void CountCompleted() { completed_.fetch_add(1, std::memory_order_relaxed); }

  const ExecutorConfig config_;
  const Clock& clock_;
  WorkQueue queue_;

 private:
  const std::string_view kind_;
  std::atomic<uint64_t> completed_{0};
};

// The executor E for `config`, its workers started: E(config, env, policy)
// constructed with the configured policy, then E::Start(start_args...).
// The error of either step, with nothing left running.
template <typename E, typename... StartArgs>
Result<std::unique_ptr<Executor>> StartExecutor(const ExecutorConfig& config, ExecutorEnv& env,
                                                StartArgs&&... start_args) {
  auto policy = CreatePolicy(config.policy, config.policy_options);
  if (!policy.ok()) return policy.status();
  auto executor = std::make_unique<E>(config, env, std::move(policy).value());
  Status started = executor->Start(std::forward<StartArgs>(start_args)...);
  if (!started.ok()) return started;
  return std::unique_ptr<Executor>(std::move(executor));
}

}  // namespace switchyard
