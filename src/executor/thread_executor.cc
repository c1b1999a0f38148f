// threads: N worker threads pop jobs from the scheduling queue and run them.
//
// Each thread owns a WorkloadRunner (its EVP context and SQLite connection).
// In C++ the threads run truly in parallel: no GIL decides for us here.
#include <atomic>
#include <thread>
#include <vector>

#include "executor/executor.h"
#include "policy/work_queue.h"

namespace switchyard {
namespace {

class ThreadExecutor final : public Executor {
 public:
  ThreadExecutor(const ExecutorConfig& config, ExecutorEnv& env, std::unique_ptr<Policy> policy)
      : config_(config), clock_(*env.clock), queue_(std::move(policy), config.max_queue, *env.clock) {}

  ~ThreadExecutor() override { Drain(); }

  Status Start(const WorkloadConfig& workload) {
    std::vector<std::unique_ptr<WorkloadRunner>> runners;
    for (int i = 0; i < config_.workers; ++i) {
      auto runner = WorkloadRunner::Create(workload);
      if (!runner.ok()) return runner.status();
      runners.push_back(std::move(runner).value());
    }
    for (auto& runner : runners) {
      threads_.emplace_back([this, r = std::move(runner)]() mutable { WorkerLoop(*r); });
    }
    return Status::Ok();
  }

  Admission Submit(Job& job) override { return queue_.TryPush(job); }

  void Drain() override {
    queue_.Close();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  ExecutorStats Stats() const override {
    ExecutorStats s;
    s.kind = "threads";
    s.workers = config_.workers;
    s.queued = queue_.size();
    s.in_flight = in_flight_.load(std::memory_order_relaxed);
    s.completed = completed_.load(std::memory_order_relaxed);
    return s;
  }

  const ExecutorConfig& config() const override { return config_; }

 private:
  void WorkerLoop(WorkloadRunner& runner) {
    while (std::optional<Job> job = queue_.Pop()) {
      in_flight_.fetch_add(1, std::memory_order_relaxed);
      int64_t start = clock_.NowMicros();
      ScoreOutcome outcome = runner.Run(job->request);
      int64_t end = clock_.NowMicros();
      outcome.queue_us = start - job->arrival_us;
      outcome.service_us = end - start;
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      completed_.fetch_add(1, std::memory_order_relaxed);
      job->on_done(std::move(outcome));
    }
  }

  const ExecutorConfig config_;
  const Clock& clock_;
  WorkQueue queue_;
  std::vector<std::thread> threads_;  // written only by Start and Drain
  std::atomic<size_t> in_flight_{0};
  std::atomic<uint64_t> completed_{0};
};

}  // namespace

Result<std::unique_ptr<Executor>> CreateThreadExecutor(const ExecutorConfig& config, ExecutorEnv& env) {
  auto policy = CreatePolicy(config.policy);
  if (!policy.ok()) return policy.status();
  auto executor = std::make_unique<ThreadExecutor>(config, env, std::move(policy).value());
  Status started = executor->Start(env.workload);
  if (!started.ok()) return started;
  return std::unique_ptr<Executor>(std::move(executor));
}

}  // namespace switchyard
