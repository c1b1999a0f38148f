// threads: N worker threads pop jobs from the scheduling queue and run them.
//
// Each thread owns a WorkloadRunner (its EVP context and SQLite connection).
// In C++ the threads run truly in parallel: no GIL decides for us here.
#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "executor/executor.h"
#include "executor/work_queue.h"

namespace switchyard {
namespace {

class ThreadExecutor final : public Executor {
 public:
  ThreadExecutor(const ExecutorConfig& config, ExecutorEnv& env, std::unique_ptr<Policy> policy)
      : config_(config), clock_(*env.clock), queue_(std::move(policy), config.max_queue, *env.clock) {
    queue_.SetWaitBound(config.max_queue_wait_us, config.workers);
  }

  ~ThreadExecutor() override { Drain(); }

  // Each worker builds its WorkloadRunner on its own thread, so the hash
  // state and SQLite connection it writes come from that thread's malloc
  // arena: built side by side on one thread they shared cache lines, and two
  // threads hashing ran at two thirds of twice one thread's rate.
  Status Start(const WorkloadConfig& workload) {
    std::vector<std::future<Status>> ready;
    for (int i = 0; i < config_.workers; ++i) {
      std::promise<Status> started;
      ready.push_back(started.get_future());
      threads_.emplace_back([this, workload, started = std::move(started)]() mutable {
        auto runner = WorkloadRunner::Create(workload);
        started.set_value(runner.ok() ? Status::Ok() : runner.status());
        if (runner.ok()) WorkerLoop(**runner);
      });
    }
    Status result;
    for (auto& f : ready) {
      Status s = f.get();
      if (!s.ok() && result.ok()) result = s;
    }
    if (!result.ok()) Drain();
    return result;
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
  size_t queued() const override { return queue_.size(); }
  int64_t PredictedWaitUs() const override { return queue_.PredictedWaitUs(); }

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
  auto policy = CreatePolicy(config.policy, config.policy_options);
  if (!policy.ok()) return policy.status();
  auto executor = std::make_unique<ThreadExecutor>(config, env, std::move(policy).value());
  Status started = executor->Start(env.workload);
  if (!started.ok()) return started;
  return std::unique_ptr<Executor>(std::move(executor));
}

}  // namespace switchyard
