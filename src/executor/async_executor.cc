// async: each job is a C++20 coroutine on one of the server's event loops —
// the asyncio analog, as uvicorn runs it: the loop that parsed a request runs
// its handler too, with no hand-off to another thread.
//
// A sleep suspends its coroutine on a timer, so thousands can wait on one
// loop. CPU work runs on the loop and blocks everything else there — other
// coroutines and the HTTP traffic of that loop's connections, /healthz
// included. That is the finding the study shows, not a bug to hide. With
// `offload` > 0 cpu work goes to a helper thread pool and the coroutine resumes
// on its loop afterwards (like asyncio.to_thread). SQLite point selects run on
// the loop: short and synchronous, as sqlite3 calls inside an asyncio handler.
//
// `workers` is the number of event loops, which the server owns (--io-threads);
// the executor has one WorkloadRunner (SQLite connection) per loop.
// Before Asio: boost 1.74's awaitable.hpp uses std::exchange without it.
#include <utility>
// (a block of its own, so that include sorting keeps it first)

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "executor/event_loops.h"
#include "executor/queued_executor.h"

namespace switchyard {
namespace {

namespace asio = boost::asio;

// The executor's state on one loop; touched only on that loop's thread,
// except `pump_posted`.
struct LoopState {
  asio::io_context* context = nullptr;
  size_t index = 0;  // which loop: also the lane a model's own loop serves it on
  std::unique_ptr<WorkloadRunner> runner;
  int in_flight = 0;
  std::atomic<int> in_flight_gauge{0};  // the same, readable from other threads (Stats)
  // Set while a Pump is posted and not yet started, so that jobs submitted
  // from other threads cost one cross-thread post per batch, not per job.
  std::atomic<bool> pump_posted{false};
};

class AsyncExecutor final : public QueuedExecutor {
 public:
  AsyncExecutor(const ExecutorConfig& config, ExecutorEnv& env, std::unique_ptr<Policy> policy)
      : QueuedExecutor(
            "async", config, env, std::move(policy), config.offload > 0 ? config.offload : config.workers,
            // A slice's rest is one more job to wait for (the running
            // slice still holds its own count, so the total cannot
            // touch zero in between); an expired job is one fewer,
            // never run.
            // A batch of n queued jobs runs as one: n - 1 fewer to wait
            // for (the batch holds the count of one). A held batch's delay
            // passing is a reason to pump, as a new job is.
            WorkQueue::Hooks{.on_requeue = [this] { pending_.fetch_add(1, std::memory_order_relaxed); },
                             .on_expired = [this] { FinishOne(); },
                             .on_batched = [this](size_t n) { pending_.fetch_sub(n - 1, std::memory_order_relaxed); },
                             .on_batch_due = [this] { PostPump(); }}),
        loops_(*env.loops) {}

  ~AsyncExecutor() override { Drain(); }

  // Each loop builds its WorkloadRunner on its own thread (that thread's
  // malloc arena: no cache lines shared with another loop's hash state).
  Status Start(const WorkloadConfig& workload) {
    std::vector<std::future<Status>> ready;
    for (int i = 0; i < loops_.loop_count(); ++i) {
      auto state = std::make_unique<LoopState>();
      state->context = &loops_.loop(i);
      state->index = static_cast<size_t>(i);
      std::promise<Status> built;
      ready.push_back(built.get_future());
      asio::post(*state->context, [s = state.get(), &workload, built = std::move(built)]() mutable {
        auto runner = WorkloadRunner::Create(workload);
        if (runner.ok()) s->runner = std::move(runner).value();
        built.set_value(runner.ok() ? Status::Ok() : runner.status());
      });
      states_.push_back(std::move(state));
    }
    Status result;
    for (auto& f : ready) {
      Status s = f.get();
      if (!s.ok() && result.ok()) result = s;
    }
    if (!result.ok()) return result;
    if (config_.offload > 0) {
      offload_.emplace(static_cast<size_t>(config_.offload));
      // Inference on the helper threads shares the models (no database there).
      WorkloadConfig models_only;
      models_only.models = workload.models;
      offload_runner_ = std::move(WorkloadRunner::Create(models_only)).value();
    }
    return Status::Ok();
  }

  Admission Submit(Job& job) override {
    pending_.fetch_add(1, std::memory_order_relaxed);
    if (Admission admitted = queue_.TryPush(job); admitted != Admission::kOk) {
      FinishOne();
      return admitted;
    }
    int current = loops_.CurrentLoop();
    if (current >= 0 && current < static_cast<int>(states_.size())) {
      // On a loop already: start the job here, now.
      Pump(*states_[static_cast<size_t>(current)]);
    } else {
      PostPump();
    }
    return Admission::kOk;
  }

  void Drain() override {
    if (drained_.exchange(true)) return;
    queue_.Close();
    // Jobs still queued were each followed by a Pump (or will be started by a
    // finishing coroutine's Pump); wait until the last one has finished.
    {
      MutexLock lock(idle_mu_);
      idle_cv_.wait(lock.native(), [&] { return pending_.load() == 0; });
    }
    if (offload_) offload_->join();
  }

 private:
  size_t InFlight() const override {
    int in_flight = 0;
    for (const auto& state : states_) in_flight += state->in_flight_gauge.load(std::memory_order_relaxed);
    return static_cast<size_t>(in_flight);
  }
  int WorkersRunning() const override { return static_cast<int>(states_.size()); }
  void OnWithdrawn(size_t n) override {
    for (size_t i = 0; i < n; ++i) FinishOne();
  }

  // Has the next loop (round robin) pump.
  void PostPump() {
    if (states_.empty()) return;
    size_t i = next_loop_.fetch_add(1, std::memory_order_relaxed) % states_.size();
    LoopState* state = states_[i].get();
    if (!state->pump_posted.exchange(true, std::memory_order_acq_rel)) {
      // The posted Pump counts as pending work, so Drain cannot return (and
      // the executor be destroyed) while it waits in the loop's queue.
      pending_.fetch_add(1, std::memory_order_relaxed);
      asio::post(*state->context, [this, state] {
        Pump(*state);
        FinishOne();
      });
    }
  }

  // Starts queued jobs on this loop while it has room. Runs on its thread.
  void Pump(LoopState& state) {
    state.pump_posted.store(false, std::memory_order_release);
    while (state.in_flight < config_.max_in_flight) {
      std::optional<Job> job = queue_.TryPop();
      if (!job) return;
      ++state.in_flight;
      state.in_flight_gauge.fetch_add(1, std::memory_order_relaxed);
      asio::co_spawn(*state.context, RunJob(state, std::move(*job)), asio::detached);
    }
  }

  asio::awaitable<void> RunJob(LoopState& state, Job job) {
    int64_t start = clock_.NowMicros();
    ScoreOutcome outcome;
    const ScoreRequest& req = job.request;
    switch (req.mode) {
      case ScoreMode::kSleep: {
        asio::steady_timer timer(*state.context, std::chrono::milliseconds(req.sleep_ms));
        co_await timer.async_wait(asio::use_awaitable);
        outcome.result = std::to_string(req.sleep_ms);
        break;
      }
      case ScoreMode::kCpu:
      case ScoreMode::kInfer:
        if (state.runner->InfersOnModelLoop(req, offload_.has_value())) {
          // A Python model: on its own asyncio loop for this lane, never on
          // this (HTTP) loop's thread; this coroutine resumes here when done.
          outcome = co_await OnModelLoop(state, req);
        } else if (offload_) {
          // Runs on a pool thread; this coroutine resumes on its loop.
          co_await asio::co_spawn(
              *offload_,
              [this, &req, &outcome]() -> asio::awaitable<void> {
                thread_local Sha256Chain sha;
                outcome =
                    req.mode == ScoreMode::kCpu ? RunCpuScore(sha, req) : offload_runner_->RunInfer(req);
                co_return;
              },
              asio::use_awaitable);
        } else {
          outcome = state.runner->Run(req);
        }
        break;
      case ScoreMode::kIo:
        outcome = state.runner->RunIo(req);
        break;
    }
    int64_t end = clock_.NowMicros();
    outcome.queue_us = start - job.arrival_us;
    outcome.service_us = end - start;
    --state.in_flight;
    state.in_flight_gauge.fetch_sub(1, std::memory_order_relaxed);
    CountCompleted();
    job.on_done(std::move(outcome));
    Pump(state);
    FinishOne();  // last: once pending reaches zero the executor may be destroyed
  }

  // RunInferOnLoop as an awaitable: the model's loop hands the outcome back
  // by posting to this loop.
  asio::awaitable<ScoreOutcome> OnModelLoop(LoopState& state, const ScoreRequest& req) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(ScoreOutcome)>(
        [&state, &req](auto handler) {
          auto resume = std::make_shared<decltype(handler)>(std::move(handler));
          auto executor = state.context->get_executor();
          state.runner->RunInferOnLoop(req, state.index, [resume, executor](WorkloadRunner::Finisher finish) {
            asio::post(executor, [resume, finish = std::move(finish)]() mutable { (*resume)(finish()); });
          });
        },
        asio::use_awaitable);
  }

  void FinishOne() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the mutex, so Drain cannot miss it between its check and its wait.
      MutexLock lock(idle_mu_);
      idle_cv_.notify_all();
    }
  }

  EventLoops& loops_;
  std::vector<std::unique_ptr<LoopState>> states_;  // one per loop; fixed after Start
  std::unique_ptr<WorkloadRunner> offload_runner_;  // inference on the offload threads
  std::optional<asio::thread_pool> offload_;
  std::atomic<size_t> next_loop_{0};
  std::atomic<size_t> pending_{0};  // jobs accepted and not finished, plus posted Pumps
  std::atomic<bool> drained_{false};
  Mutex idle_mu_;  // guards no field: orders Drain's wait against FinishOne's wake-up
  std::condition_variable idle_cv_;
};

}  // namespace

Result<std::unique_ptr<Executor>> CreateAsyncExecutor(const ExecutorConfig& config, ExecutorEnv& env) {
  if (env.loops == nullptr || env.loops->loop_count() < 1) {
    return Internal("the async executor needs the server's event loops");
  }
  return StartExecutor<AsyncExecutor>(config, env, env.workload);
}

}  // namespace switchyard
