#include "executor/queued_executor.h"

namespace switchyard {

QueuedExecutor::QueuedExecutor(std::string_view kind, const ExecutorConfig& config, ExecutorEnv& env,
                               std::unique_ptr<Policy> policy, int servers, WorkQueue::Hooks hooks)
    : config_(config),
      clock_(*env.clock),
      queue_(std::move(policy), config.max_queue, *env.clock, std::move(hooks)),
      kind_(kind) {
  queue_.SetWaitBound(config.max_queue_wait_us, servers);
  queue_.SetBatchOverrides(config.max_batch, config.batch_delay_us);
}

ExecutorStats QueuedExecutor::Stats() const {
  ExecutorStats s;
  s.kind = std::string(kind_);
  s.workers = WorkersRunning();
  s.queued = queue_.size();
  s.in_flight = InFlight();
  s.completed = completed_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace switchyard
