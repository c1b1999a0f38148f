// async: each job is a C++20 coroutine on an event loop — the asyncio analog.
//
// `workers` event loops (Asio io_contexts), each on its own thread, take jobs
// from the shared scheduling queue. A sleep suspends its coroutine on a timer,
// so thousands can wait on one loop. CPU work runs on the loop and blocks every
// other coroutine there — the finding the study shows — unless `offload` > 0,
// which sends it to a helper thread pool and resumes the coroutine on its loop
// afterwards (like asyncio.to_thread). SQLite point selects run on the loop:
// they are short and synchronous, as sqlite3 calls are inside an asyncio
// handler.
#include <atomic>
#include <utility>  // before Asio: boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <optional>
#include <thread>
#include <vector>

#include "executor/executor.h"
#include "policy/work_queue.h"

namespace switchyard {
namespace {

namespace asio = boost::asio;

// One event loop: its io_context, thread and WorkloadRunner. `in_flight` is
// touched only on the loop's own thread.
struct EventLoop {
  asio::io_context context{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{context.get_executor()};
  std::unique_ptr<WorkloadRunner> runner;
  int in_flight = 0;
  std::thread thread;
};

class AsyncExecutor final : public Executor {
 public:
  AsyncExecutor(const ExecutorConfig& config, ExecutorEnv& env, std::unique_ptr<Policy> policy)
      : config_(config), clock_(*env.clock), queue_(std::move(policy), config.max_queue, *env.clock) {}

  ~AsyncExecutor() override { Drain(); }

  Status Start(const WorkloadConfig& workload) {
    for (int i = 0; i < config_.workers; ++i) {
      auto runner = WorkloadRunner::Create(workload);
      if (!runner.ok()) return runner.status();
      auto loop = std::make_unique<EventLoop>();
      loop->runner = std::move(runner).value();
      loops_.push_back(std::move(loop));
    }
    if (config_.offload > 0) offload_.emplace(static_cast<size_t>(config_.offload));
    for (auto& loop : loops_) {
      loop->thread = std::thread([l = loop.get()] { l->context.run(); });
    }
    return Status::Ok();
  }

  SubmitResult Submit(Job& job) override {
    pending_.fetch_add(1, std::memory_order_relaxed);
    switch (queue_.TryPush(job)) {
      case WorkQueue::PushResult::kOk: break;
      case WorkQueue::PushResult::kFull: FinishOne(); return SubmitResult::kFull;
      case WorkQueue::PushResult::kClosed: FinishOne(); return SubmitResult::kClosed;
    }
    size_t i = next_loop_.fetch_add(1, std::memory_order_relaxed) % loops_.size();
    EventLoop* loop = loops_[i].get();
    asio::post(loop->context, [this, loop] { Pump(*loop); });
    return SubmitResult::kOk;
  }

  void Drain() override {
    if (drained_.exchange(true)) return;
    queue_.Close();
    {
      std::unique_lock<std::mutex> lock(idle_mu_);
      idle_cv_.wait(lock, [&] { return pending_.load() == 0; });
    }
    for (auto& loop : loops_) loop->guard.reset();
    for (auto& loop : loops_) {
      if (loop->thread.joinable()) loop->thread.join();
    }
    if (offload_) offload_->join();
  }

  ExecutorStats Stats() const override {
    ExecutorStats s;
    s.kind = "async";
    s.workers = config_.workers;
    s.queued = queue_.size();
    size_t pending = pending_.load(std::memory_order_relaxed);
    s.in_flight = pending > s.queued ? pending - s.queued : 0;
    s.completed = completed_.load(std::memory_order_relaxed);
    return s;
  }

  const ExecutorConfig& config() const override { return config_; }

 private:
  // Starts queued jobs on `loop` while it has room. Runs on the loop's thread.
  void Pump(EventLoop& loop) {
    while (loop.in_flight < config_.max_in_flight) {
      std::optional<Job> job = queue_.TryPop();
      if (!job) return;
      ++loop.in_flight;
      asio::co_spawn(loop.context, RunJob(loop, std::move(*job)), asio::detached);
    }
  }

  asio::awaitable<void> RunJob(EventLoop& loop, Job job) {
    int64_t start = clock_.NowMicros();
    ScoreOutcome outcome;
    const ScoreRequest& req = job.request;
    switch (req.mode) {
      case ScoreMode::kSleep: {
        asio::steady_timer timer(loop.context, std::chrono::milliseconds(req.sleep_ms));
        co_await timer.async_wait(asio::use_awaitable);
        outcome.result_json = std::to_string(req.sleep_ms);
        break;
      }
      case ScoreMode::kCpu:
        if (offload_) {
          // Runs on a pool thread; the coroutine resumes on this loop.
          co_await asio::co_spawn(
              *offload_,
              [&req, &outcome]() -> asio::awaitable<void> {
                thread_local Sha256Chain sha;
                outcome = RunCpuScore(sha, req);
                co_return;
              },
              asio::use_awaitable);
        } else {
          outcome = loop.runner->RunCpu(req);
        }
        break;
      case ScoreMode::kIo:
        outcome = loop.runner->RunIo(req);
        break;
    }
    int64_t end = clock_.NowMicros();
    outcome.queue_us = start - job.arrival_us;
    outcome.service_us = end - start;
    --loop.in_flight;
    completed_.fetch_add(1, std::memory_order_relaxed);
    job.on_done(std::move(outcome));
    FinishOne();
    Pump(loop);
  }

  void FinishOne() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(idle_mu_);
      idle_cv_.notify_all();
    }
  }

  const ExecutorConfig config_;
  const Clock& clock_;
  WorkQueue queue_;
  std::vector<std::unique_ptr<EventLoop>> loops_;  // fixed after Start
  std::optional<asio::thread_pool> offload_;
  std::atomic<size_t> next_loop_{0};
  std::atomic<size_t> pending_{0};  // accepted and not yet finished
  std::atomic<uint64_t> completed_{0};
  std::atomic<bool> drained_{false};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
};

}  // namespace

Result<std::unique_ptr<Executor>> CreateAsyncExecutor(const ExecutorConfig& config, ExecutorEnv& env) {
  auto policy = CreatePolicy(config.policy);
  if (!policy.ok()) return policy.status();
  auto executor = std::make_unique<AsyncExecutor>(config, env, std::move(policy).value());
  Status started = executor->Start(env.workload);
  if (!started.ok()) return started;
  return std::unique_ptr<Executor>(std::move(executor));
}

}  // namespace switchyard
