#include "executor/work_queue.h"

#include <chrono>
#include <string>
#include <vector>

#include "executor/job_slicing.h"

namespace switchyard {

WorkQueue::WorkQueue(std::unique_ptr<Policy> policy, size_t max_size, const Clock& clock, Hooks hooks)
    : max_size_(max_size),
      clock_(clock),
      policy_name_(policy->name()),
      hooks_(std::move(hooks)),
      policy_(std::move(policy)) {}

WorkQueue::~WorkQueue() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  expiry_cv_.notify_all();
  if (expiry_thread_.joinable()) expiry_thread_.join();
}

void WorkQueue::SetWaitBound(int64_t max_wait_us, int servers) {
  max_wait_us_ = max_wait_us;
  servers_ = servers < 1 ? 1 : servers;
}

int64_t WorkQueue::PredictedWaitUs() const {
  MutexLock lock(mu_);
  return backlog_us_ / servers_;
}

void WorkQueue::ForgetLocked(const Job& job) {
  if (job.deadline_us > 0) deadlines_.erase(deadlines_.find(job.deadline_us));
  backlog_us_ -= job.predicted_us - job.attained_us;
}

void WorkQueue::PushLocked(Job job) {
  backlog_us_ += job.predicted_us - job.attained_us;
  if (job.deadline_us > 0) {
    deadlines_.insert(job.deadline_us);
    if (!expiry_thread_.joinable()) {
      expiry_thread_ = std::thread([this] { ExpiryLoop(); });
    } else if (job.deadline_us <= *deadlines_.begin()) {
      expiry_cv_.notify_one();  // earlier than what the thread waits for
    }
  }
  policy_->Push(std::move(job), clock_.NowMicros());
}

Admission WorkQueue::TryPush(Job& job) {
  {
    MutexLock lock(mu_);
    if (closed_) return Admission::kClosed;
    if (policy_->size() >= max_size_) return Admission::kFull;
    if (max_wait_us_ > 0 && backlog_us_ / servers_ > max_wait_us_) return Admission::kOverloaded;
    PushLocked(std::move(job));
  }
  cv_.notify_one();
  return Admission::kOk;
}

void WorkQueue::Requeue(Job job) {
  {
    MutexLock lock(mu_);
    PushLocked(std::move(job));
  }
  cv_.notify_one();
  if (hooks_.on_requeue) hooks_.on_requeue();
}

std::optional<Job> WorkQueue::PopLocked() {
  std::optional<Job> job = policy_->Pop(clock_.NowMicros());
  if (!job) return job;
  ForgetLocked(*job);
  const int64_t slice_us = policy_->SliceUs(*job);
  if (slice_us > 0) {
    return TakeSlice(
        std::move(*job), slice_us, [this](Job rest) { Requeue(std::move(rest)); }, clock_);
  }
  return job;
}

std::optional<Job> WorkQueue::Pop() {
  MutexLock lock(mu_);
  cv_.wait(lock.native(), [&]() REQUIRES(mu_) { return closed_ || policy_->size() > 0; });
  return PopLocked();
}

std::optional<Job> WorkQueue::TryPop() {
  MutexLock lock(mu_);
  return PopLocked();
}

void WorkQueue::Close() {
  {
    MutexLock lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

void WorkQueue::ExpireDue() {
  std::vector<Job> expired;
  const int64_t now = clock_.NowMicros();
  {
    MutexLock lock(mu_);
    if (deadlines_.empty() || *deadlines_.begin() > now) return;
    policy_->TakeExpired(now, expired);
    for (const Job& job : expired) ForgetLocked(job);
  }
  for (Job& job : expired) {
    ScoreOutcome outcome;
    outcome.queue_us = now - job.arrival_us;
    outcome.status = {StatusCode::kDeadlineExceeded,
                      "deadline of " + std::to_string(job.timeout_us) + " us passed while queued (waited " +
                          std::to_string(outcome.queue_us) + " us); it was not run"};
    job.on_done(std::move(outcome));
    if (hooks_.on_expired) hooks_.on_expired();
  }
}

void WorkQueue::ExpiryLoop() {
  MutexLock lock(mu_);
  while (!stopping_) {
    if (deadlines_.empty()) {
      expiry_cv_.wait(lock.native());
      continue;
    }
    const int64_t wait_us = *deadlines_.begin() - clock_.NowMicros();
    if (wait_us > 0) {
      expiry_cv_.wait_for(lock.native(), std::chrono::microseconds(wait_us));
      continue;
    }
    lock.Unlock();
    ExpireDue();
    lock.Lock();
  }
}

size_t WorkQueue::size() const {
  MutexLock lock(mu_);
  return policy_->size();
}

}  // namespace switchyard
