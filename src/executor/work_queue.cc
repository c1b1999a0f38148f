#include "executor/work_queue.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "executor/batching.h"
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

void WorkQueue::StartExpiryThreadLocked() {
  if (!expiry_thread_.joinable()) expiry_thread_ = std::thread([this] { ExpiryLoop(); });
}

void WorkQueue::PushLocked(Job job) {
  backlog_us_ += job.predicted_us - job.attained_us;
  if (job.deadline_us > 0) {
    deadlines_.insert(job.deadline_us);
    if (!expiry_thread_.joinable()) {
      StartExpiryThreadLocked();
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
    if (policy_->size() + forming_jobs_ >= max_size_) return Admission::kFull;
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

void WorkQueue::FillLocked(Forming& f) {
  // Copies: taking jobs into f.members moves the leader.
  const std::string key = f.members.front().batch_key;
  const int64_t max_rows = f.max_rows;
  if (f.rows >= max_rows) return;
  const size_t before = f.members.size();
  policy_->TakeIf(
      [&](const Job& j) {
        if (j.batch_key != key || f.rows + j.batch_rows > max_rows) return false;
        if (batch_bytes_limit_ > 0 && f.bytes + j.request.data.size() > batch_bytes_limit_) return false;
        f.rows += j.batch_rows;
        f.bytes += j.request.data.size();
        return true;
      },
      f.members);
  for (size_t i = before; i < f.members.size(); ++i) {
    f.due_us = std::min(f.due_us, f.members[i].arrival_us + f.delay_us);
  }
}

bool WorkQueue::ReadyLocked(const Forming& f, int64_t now_us) const {
  return closed_ || now_us >= f.due_us || f.rows >= f.max_rows ||
         f.members.front().batch_rules->Satisfied(f.rows);
}

int64_t WorkQueue::NextDueLocked() const {
  int64_t due = INT64_MAX;
  for (const Forming& f : forming_) {
    if (!f.announced) due = std::min(due, f.due_us);
  }
  return due;
}

bool WorkQueue::PopLocked(std::vector<Job>& out) {
  const int64_t now = clock_.NowMicros();
  // A held batch that more jobs have filled, or whose delay has passed.
  for (auto it = forming_.begin(); it != forming_.end(); ++it) {
    const size_t held = it->members.size();
    FillLocked(*it);
    forming_jobs_ += it->members.size() - held;
    if (!ReadyLocked(*it, now)) continue;
    out = std::move(it->members);
    forming_jobs_ -= out.size();
    forming_.erase(it);
    for (const Job& j : out) ForgetLocked(j);
    return true;
  }
  while (std::optional<Job> job = policy_->Pop(now)) {
    if (job->batch_key.empty() || job->batch_rules == nullptr) {
      ForgetLocked(*job);
      const int64_t slice_us = policy_->SliceUs(*job);
      if (slice_us > 0) {
        job = TakeSlice(std::move(*job), slice_us, [this](Job rest) { Requeue(std::move(rest)); }, clock_);
      }
      out.push_back(std::move(*job));
      return true;
    }
    Forming f;
    f.rows = job->batch_rows;
    f.bytes = job->request.data.size();
    f.max_rows = job->batch_rules->max_rows;
    if (max_rows_override_ > 0) f.max_rows = std::min(f.max_rows, max_rows_override_);
    f.delay_us = delay_override_us_ >= 0 ? delay_override_us_ : job->batch_rules->max_queue_delay_us;
    f.due_us = job->arrival_us + f.delay_us;
    f.members.push_back(std::move(*job));
    FillLocked(f);
    if (ReadyLocked(f, now)) {
      out = std::move(f.members);
      for (const Job& j : out) ForgetLocked(j);
      return true;
    }
    // Held for its delay; the jobs behind it may run meanwhile.
    forming_jobs_ += f.members.size();
    forming_.push_back(std::move(f));
    StartExpiryThreadLocked();
    expiry_cv_.notify_one();  // its due time may be the earliest
  }
  return false;
}

std::optional<Job> WorkQueue::HandOut(std::vector<Job> members) {
  if (members.empty()) return std::nullopt;
  if (members.size() == 1 && members.front().batch_key.empty()) return std::move(members.front());
  if (members.size() > 1 && hooks_.on_batched) hooks_.on_batched(members.size());
  return StackBatch(std::move(members));
}

std::optional<Job> WorkQueue::Pop() {
  std::vector<Job> out;
  {
    MutexLock lock(mu_);
    while (!PopLocked(out)) {
      if (closed_ && policy_->size() == 0 && forming_.empty()) return std::nullopt;
      if (forming_.empty()) {
        cv_.wait(lock.native());
      } else {
        // A held batch is handed out here when due, whoever else is told.
        int64_t due = INT64_MAX;
        for (const Forming& f : forming_) due = std::min(due, f.due_us);
        cv_.wait_for(lock.native(), std::chrono::microseconds(std::max<int64_t>(due - clock_.NowMicros(), 0)));
      }
    }
  }
  return HandOut(std::move(out));
}

std::optional<Job> WorkQueue::TryPop() {
  std::vector<Job> out;
  {
    MutexLock lock(mu_);
    if (!PopLocked(out)) return std::nullopt;
  }
  return HandOut(std::move(out));
}

void WorkQueue::Close() {
  {
    MutexLock lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

std::vector<Job> WorkQueue::Withdraw() {
  std::vector<Job> taken;
  {
    MutexLock lock(mu_);
    closed_ = true;
    // Held batches first: their members have waited longest.
    for (Forming& f : forming_) {
      for (Job& j : f.members) taken.push_back(std::move(j));
    }
    forming_.clear();
    forming_jobs_ = 0;
    policy_->TakeIf([](const Job&) { return true; }, taken);
    for (const Job& job : taken) ForgetLocked(job);
  }
  cv_.notify_all();
  return taken;
}

void WorkQueue::ExpireDue() {
  std::vector<Job> expired;
  const int64_t now = clock_.NowMicros();
  {
    MutexLock lock(mu_);
    if (deadlines_.empty() || *deadlines_.begin() > now) return;
    policy_->TakeExpired(now, expired);
    for (auto f = forming_.begin(); f != forming_.end();) {
      const size_t before = expired.size();
      MoveExpired(f->members, now, expired);
      forming_jobs_ -= expired.size() - before;
      if (f->members.empty()) {
        f = forming_.erase(f);
        continue;
      }
      if (expired.size() != before) {
        // The rows and the oldest arrival are those of who is left.
        f->rows = 0;
        f->bytes = 0;
        f->due_us = INT64_MAX;
        for (const Job& j : f->members) {
          f->rows += j.batch_rows;
          f->bytes += j.request.data.size();
          f->due_us = std::min(f->due_us, j.arrival_us + f->delay_us);
        }
      }
      ++f;
    }
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
    const int64_t due = NextDueLocked();
    if (deadlines_.empty() && due == INT64_MAX) {
      expiry_cv_.wait(lock.native());
      continue;
    }
    const int64_t now = clock_.NowMicros();
    if (due <= now) {
      // Held batches whose delay has passed: whoever pops takes them now.
      for (Forming& f : forming_) f.announced = f.announced || f.due_us <= now;
      lock.Unlock();
      cv_.notify_all();
      if (hooks_.on_batch_due) hooks_.on_batch_due();
      lock.Lock();
      continue;
    }
    const int64_t next = std::min(due, deadlines_.empty() ? INT64_MAX : *deadlines_.begin());
    if (next > now) {
      expiry_cv_.wait_for(lock.native(), std::chrono::microseconds(next - now));
      continue;
    }
    lock.Unlock();
    ExpireDue();
    lock.Lock();
  }
}

size_t WorkQueue::size() const {
  MutexLock lock(mu_);
  return policy_->size() + forming_jobs_;
}

}  // namespace switchyard
