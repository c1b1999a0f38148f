// threads: N worker threads pop jobs from the scheduling queue and run them.
//
// Each thread owns a WorkloadRunner (its EVP context and SQLite connection).
// In C++ the threads run truly in parallel: no GIL decides for us here.
#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "executor/queued_executor.h"

namespace switchyard {
namespace {

class ThreadExecutor final : public QueuedExecutor {
 public:
  ThreadExecutor(const ExecutorConfig& config, ExecutorEnv& env, std::unique_ptr<Policy> policy)
      : QueuedExecutor("threads", config, env, std::move(policy), config.workers) {}

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

 private:
  size_t InFlight() const override { return in_flight_.load(std::memory_order_relaxed); }

  void WorkerLoop(WorkloadRunner& runner) {
    while (std::optional<Job> job = queue_.Pop()) {
      in_flight_.fetch_add(1, std::memory_order_relaxed);
      int64_t start = clock_.NowMicros();
      ScoreOutcome outcome = runner.Run(job->request);
      int64_t end = clock_.NowMicros();
      outcome.queue_us = start - job->arrival_us;
      outcome.service_us = end - start;
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      CountCompleted();
      job->on_done(std::move(outcome));
    }
  }

  std::vector<std::thread> threads_;  // written only by Start and Drain
  std::atomic<size_t> in_flight_{0};
};

}  // namespace

Result<std::unique_ptr<Executor>> CreateThreadExecutor(const ExecutorConfig& config, ExecutorEnv& env) {
  return StartExecutor<ThreadExecutor>(config, env, env.workload);
}

}  // namespace switchyard
