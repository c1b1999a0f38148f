// WorkQueue: the bounded, thread-safe scheduling queue between the frontend
// and an executor's workers, ordered by a Policy.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <optional>

#include "core/clock.h"
#include "core/thread_annotations.h"
#include "policy/policy.h"

namespace switchyard {

// Safe for concurrent use by any number of pushers and poppers.
// Lifetime: destroy only when no thread is blocked in Pop() (Close() first and
// join the poppers).
class WorkQueue {
 public:
  WorkQueue(std::unique_ptr<Policy> policy, size_t max_size, const Clock& clock);

  // On kOk the queue owns `job`; otherwise `job` is left untouched and the
  // caller still owns it.
  Admission TryPush(Job& job) EXCLUDES(mu_);

  // Blocks until a job is available; nullopt once closed and empty.
  std::optional<Job> Pop() EXCLUDES(mu_);
  // Never blocks; nullopt when empty.
  std::optional<Job> TryPop() EXCLUDES(mu_);

  // Refuses further pushes; jobs already queued are still handed out.
  void Close() EXCLUDES(mu_);

  size_t size() const EXCLUDES(mu_);
  size_t max_size() const { return max_size_; }
  std::string_view policy_name() const { return policy_name_; }

 private:
  const size_t max_size_;
  const Clock& clock_;
  const std::string policy_name_;
  mutable Mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<Policy> policy_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace switchyard
