#include "policy/work_queue.h"

namespace switchyard {

WorkQueue::WorkQueue(std::unique_ptr<Policy> policy, size_t max_size, const Clock& clock)
    : max_size_(max_size), clock_(clock), policy_name_(policy->name()), policy_(std::move(policy)) {}

Admission WorkQueue::TryPush(Job& job) {
  {
    MutexLock lock(mu_);
    if (closed_) return Admission::kClosed;
    if (policy_->size() >= max_size_) return Admission::kFull;
    policy_->Push(std::move(job), clock_.NowMicros());
  }
  cv_.notify_one();
  return Admission::kOk;
}

std::optional<Job> WorkQueue::Pop() {
  MutexLock lock(mu_);
  cv_.wait(lock.native(), [&]() REQUIRES(mu_) { return closed_ || policy_->size() > 0; });
  return policy_->Pop(clock_.NowMicros());
}

std::optional<Job> WorkQueue::TryPop() {
  MutexLock lock(mu_);
  return policy_->Pop(clock_.NowMicros());
}

void WorkQueue::Close() {
  {
    MutexLock lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

size_t WorkQueue::size() const {
  MutexLock lock(mu_);
  return policy_->size();
}

}  // namespace switchyard
