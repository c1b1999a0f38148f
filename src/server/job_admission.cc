#include "server/job_admission.h"

#include <algorithm>
#include <thread>

#include "server/json_reply.h"
#include "server/score_api.h"

namespace switchyard {

void JobAdmission::Predict(Job& job, const Origin& origin) {
  PredictorFeatures& f = job.features;
  f.cost_class = CostClassOf(job.request);
  f.input_bytes = static_cast<int64_t>(origin.bytes);
  f.cpu_utilisation = machine_load_.CpuUtilisation();
  f.hour_of_day = machine_load_.HourOfDay();
  // requests_in_progress counts this request too (read, not yet answered).
  f.in_system = std::max<int64_t>(0, metrics_.requests_in_progress.load(std::memory_order_relaxed) - 1);
  if (std::shared_ptr<Executor> executor = slot_.Current())
    f.queue_length = static_cast<int64_t>(executor->queued());
  job.predicted_us = predictor_.PredictUs(f);
  // What the adaptive controller's window reads (server_window.h).
  const auto kind = static_cast<size_t>(f.cost_class.kind());
  metrics_.admitted_by_kind[kind].fetch_add(1, std::memory_order_relaxed);
  metrics_.admitted_predicted_us[kind].fetch_add(
      static_cast<uint64_t>(std::max<int64_t>(0, job.predicted_us)), std::memory_order_relaxed);
  if (job.request.mode == ScoreMode::kSleep) {
    metrics_.admitted_sleep_us.fetch_add(uint64_t{job.request.sleep_ms} * 1000, std::memory_order_relaxed);
  }
}

std::function<void(ScoreOutcome)> JobAdmission::Completion(const Job& job, const Responder& respond,
                                                           Render render, size_t part) {
  return [this, respond, render = std::move(render), part, arrival = job.arrival_us, features = job.features,
          client = trace_ ? job.client : std::string(), priority = job.priority, deadline = job.deadline_us,
          python = job.request.mode == ScoreMode::kInfer ? python_.Find(job.request.model) : nullptr,
          own_rows = job.batch_rows](ScoreOutcome outcome) {
    metrics_.queue_us.Record(outcome.queue_us);
    if (outcome.batch_leader) {
      const size_t n = std::min<size_t>(static_cast<size_t>(outcome.batch_size), ServerMetrics::kBatchSizes - 1);
      metrics_.batches_by_size[n].fetch_add(1, std::memory_order_relaxed);
      metrics_.batched_rows.fetch_add(static_cast<uint64_t>(outcome.batch_rows), std::memory_order_relaxed);
    }
    if (outcome.batch_leader) metrics_.batch_queue_us.Record(outcome.batch_queue_us);
    if (python != nullptr) {
      python->Record(outcome.service_us, outcome.gil_wait_us, outcome.gil_hold_us);
      if (outcome.gil_hold_us >= 0 && outcome.gil_wait_us >= 0 && outcome.service_us >= 0) {
        // The time the model ran: a wait for the GIL is the configuration's
        // doing (threads), not the model's, and the feature describes the model.
        const int64_t ran = std::max<int64_t>(0, outcome.service_us - outcome.gil_wait_us);
        metrics_.python_run_us.fetch_add(static_cast<uint64_t>(ran), std::memory_order_relaxed);
        metrics_.python_gil_hold_us.fetch_add(static_cast<uint64_t>(outcome.gil_hold_us), std::memory_order_relaxed);
      }
    }
    metrics_.service_us.Record(outcome.service_us);
    const int64_t now = SteadyClock::Now();
    metrics_.total_us.Record(now - arrival);
    ServerMetrics::Part& share = metrics_.parts[part];
    share.total_us.Record(now - arrival);
    (outcome.status.ok() ? share.ok : share.failed).fetch_add(1, std::memory_order_relaxed);
    // Ran past its deadline and answered anyway (a 504 is not a late reply).
    if (deadline > 0 && now > deadline && outcome.status.code() != StatusCode::kDeadlineExceeded) {
      metrics_.late_replies.fetch_add(1, std::memory_order_relaxed);
    }
    // A batch member occupied its worker for its share of the batch's rows:
    // what the queue's backlog (admission control) must count it for.
    if (outcome.status.ok()) {
      predictor_.Observe(features, outcome.batch_rows > 0 && own_rows > 0
                                       ? outcome.service_us * own_rows / outcome.batch_rows
                                       : outcome.service_us);
    }
    if (trace_) {
      trace_->Record(features,
                     {.arrival_us = arrival,
                      .service_us = outcome.service_us,
                      .queue_us = outcome.queue_us,
                      .client = client,
                      .priority = priority,
                      .http_status = outcome.status.ok() ? 200 : HttpStatusOf(outcome.status.code())});
    }
    (outcome.status.ok() ? metrics_.jobs_ok : metrics_.jobs_failed).fetch_add(1, std::memory_order_relaxed);
    if (outcome.status.ok()) {
      respond(render(outcome));
    } else {
      respond(ErrorReply(outcome.status));
    }
  };
}

void JobAdmission::Submit(Job& job, Origin origin, const Responder& respond, Render render) {
  if (!origin.client_id.empty()) {
    Status valid = ValidateClientId(origin.client_id, "the client id (X-Client-Id)");
    if (!valid.ok()) return respond(ErrorReply(valid));
    job.client = std::string(origin.client_id);
  }
  job.id = next_job_id_.fetch_add(1, std::memory_order_relaxed);
  job.arrival_us = SteadyClock::Now();
  if (job.timeout_us > 0) job.deadline_us = job.arrival_us + job.timeout_us;
  // Python code may run on indefinitely; a worker process running it can be
  // stopped at the deadline (process_executor.cc), a thread cannot.
  job.stop_at_deadline = job.deadline_us > 0 && job.request.mode == ScoreMode::kInfer &&
                         python_.Find(job.request.model) != nullptr;
  Predict(job, origin);
  ExecutorSlot::Route route = slot_.Pick(job.id);
  const size_t part = route.canary ? 1 : 0;
  metrics_.parts[part].admitted.fetch_add(1, std::memory_order_relaxed);
  job.on_done = Completion(job, respond, std::move(render), part);
  // A live switch may close the executor we picked between picking it and
  // submitting: then the new one is current, and we submit there. (A job
  // picked for a canary that ends meanwhile runs in the current one and
  // still counts in the canary's part: rare, and in a window the controller
  // no longer compares.)
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::shared_ptr<Executor> executor = attempt == 0 ? std::move(route.executor) : slot_.Pick(job.id).executor;
    if (!executor || state_.shutting_down.load()) break;
    const int levels = executor->config().policy_options.priority_levels;
    if (job.priority > levels) {
      return respond(
          ErrorReply(InvalidArgument("priority " + std::to_string(job.priority) + " is outside 0.." +
                                     std::to_string(levels) + " (--priority-levels)")));
    }
    switch (executor->Submit(job)) {
      case Admission::kOk:
        return;
      case Admission::kOverloaded:
        metrics_.jobs_failed.fetch_add(1, std::memory_order_relaxed);
        metrics_.parts[part].failed.fetch_add(1, std::memory_order_relaxed);
        return respond(ErrorReply(Unavailable(
            "overloaded: the predicted wait of " + std::to_string(executor->PredictedWaitUs() / 1000) +
            " ms is past the bound of " + std::to_string(executor->config().max_queue_wait_us / 1000) +
            " ms (--max-queue-wait-ms)")));
      case Admission::kFull:
        metrics_.jobs_failed.fetch_add(1, std::memory_order_relaxed);
        metrics_.parts[part].failed.fetch_add(1, std::memory_order_relaxed);
        return respond(ErrorReply(Unavailable("queue full (" + std::to_string(executor->config().max_queue) +
                                              " waiting, --max-queue)")));
      case Admission::kClosed:
        std::this_thread::yield();
        continue;
    }
  }
  respond(ErrorReply(Unavailable("server is shutting down")));
}

}  // namespace switchyard
