// WorkQueue: the bounded, thread-safe scheduling queue between the frontend
// and an executor's workers, ordered by a Policy.
//
// Besides ordering, two things happen here because only the queue sees a job
// between admission and start:
//   deadlines  a job whose deadline_us passes while it is queued is taken out
//              and answered DeadlineExceeded (504) at that moment, by a
//              background thread started with the first such job, and never
//              runs;
//   slices     a job the policy wants preempted (Policy::SliceUs, mlfq) is
//              handed out as a slice; the rest comes back through Requeue
//              when the slice ends (executor/job_slicing.h);
//   batches    a job with a batch key (dynamic batching, Job::batch_rules)
//              that the policy pops leads a batch: queued jobs of the same
//              key join it (Policy::TakeIf, in the policy's order) up to the
//              rules' rows and the byte limit. A batch that is not yet of a
//              preferred size is held (it still counts as queued, and its
//              members still expire at their deadlines) until more jobs of
//              its key fill it or its oldest member has waited
//              max_queue_delay_us (the executor's configuration may cap the
//              rows and replace the delay: SetBatchOverrides); meanwhile
//              other jobs are handed out. A
//              batch is handed out as one Job (executor/batching.h). A job
//              past its deadline never joins one: it expires first.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "core/clock.h"
#include "core/thread_annotations.h"
#include "policy/policy.h"

namespace switchyard {

// Safe for concurrent use by any number of pushers and poppers.
// Lifetime: destroy only when no thread is blocked in Pop() (Close() first and
// join the poppers) and no slice handed out is still running.
class WorkQueue {
 public:
  // Called (outside the queue's lock) after a slice's rest was pushed back,
  // and after an expired job's on_done: executors that count their jobs
  // (async) keep their books with these.
  // on_batched(n): n (>= 2) queued jobs were just handed out as one batch.
  // on_batch_due: a held batch's delay has passed: executors that pop only
  // when told (processes, async) pop again; Pop's callers need not.
  struct Hooks {
    std::function<void()> on_requeue;
    std::function<void()> on_expired;
    std::function<void(size_t)> on_batched;
    std::function<void()> on_batch_due;
  };

  WorkQueue(std::unique_ptr<Policy> policy, size_t max_size, const Clock& clock, Hooks hooks = {});
  ~WorkQueue();

  // On kOk the queue owns `job`; otherwise `job` is left untouched and the
  // caller still owns it. kFull at max_size; kOverloaded when a wait bound
  // is set and the predicted service of the jobs queued, spread over the
  // servers, already exceeds it.
  Admission TryPush(Job& job) EXCLUDES(mu_);

  // Admission control by predicted wait: refuse newcomers while
  // (Σ predicted_us of the queued jobs) / servers > max_wait_us. 0: off.
  // Call before the first push.
  void SetWaitBound(int64_t max_wait_us, int servers);
  // The queued jobs' predicted service over the servers, in µs.
  int64_t PredictedWaitUs() const EXCLUDES(mu_);
  // The most request bytes (Σ ScoreRequest::data) one batch may carry: a
  // worker process's channel takes no more (max_payload_bytes). Call before
  // the first push; 0: no limit.
  void SetBatchBytesLimit(size_t bytes) { batch_bytes_limit_ = bytes; }
  // Overrides of every job's BatchRules (ExecutorConfig::max_batch,
  // batch_delay_us): a batch holds at most min(max_rows, the rules'
  // max_rows) rows — 1 hands each job out alone — and waits delay_us
  // instead of the rules' max_queue_delay_us. -1 keeps the rules' own.
  // Call before the first push.
  void SetBatchOverrides(int64_t max_rows, int64_t delay_us) {
    max_rows_override_ = max_rows;
    delay_override_us_ = delay_us;
  }

  // Blocks until a job is available; nullopt once closed and empty.
  std::optional<Job> Pop() EXCLUDES(mu_);
  // Never blocks; nullopt when empty.
  std::optional<Job> TryPop() EXCLUDES(mu_);

  // Refuses further pushes; jobs already queued are still handed out (and
  // still expire at their deadlines).
  void Close() EXCLUDES(mu_);
  // Close(), and takes every job not yet handed out (held batches' members
  // too) out of the queue, in the policy's order: the caller owns them and
  // their on_done has not been called. Slices handed out still come back
  // (Requeue) and run here. A live switch moves a backlog this way to the
  // configuration that replaces this one.
  std::vector<Job> Withdraw() EXCLUDES(mu_);

  // Answers every queued job whose deadline has passed now. The background
  // thread calls it; tests on a ManualClock call it themselves.
  void ExpireDue() EXCLUDES(mu_);

  size_t size() const EXCLUDES(mu_);
  size_t max_size() const { return max_size_; }
  std::string_view policy_name() const { return policy_name_; }

 private:
  // Pushes a slice's rest back: never refused, whatever the bound or state.
  void Requeue(Job job) EXCLUDES(mu_);
  void PushLocked(Job job) REQUIRES(mu_);
  // Bookkeeping for a job leaving the queue (popped or expired).
  void ForgetLocked(const Job& job) REQUIRES(mu_);
  // A batch being formed: the jobs taken so far, leader first.
  struct Forming {
    std::vector<Job> members;
    int64_t rows = 0;
    size_t bytes = 0;
    int64_t max_rows = 0;    // the rules' or the override's
    int64_t delay_us = 0;    // the rules' or the override's
    int64_t due_us = 0;      // the oldest member's arrival + delay_us
    bool announced = false;  // on_batch_due was called for it
  };

  // What is handed out next, into `out`: one job (or a slice of one), or the
  // members of a batch; false when nothing is ready.
  bool PopLocked(std::vector<Job>& out) REQUIRES(mu_);
  // Adds the queued jobs of `f`'s key that fit.
  void FillLocked(Forming& f) REQUIRES(mu_);
  bool ReadyLocked(const Forming& f, int64_t now_us) const REQUIRES(mu_);
  // `members` as the Job to hand out (StackBatch unless a lone unbatched job).
  std::optional<Job> HandOut(std::vector<Job> members);
  // The earliest due time of a held batch not yet announced, or INT64_MAX.
  int64_t NextDueLocked() const REQUIRES(mu_);
  void StartExpiryThreadLocked() REQUIRES(mu_);
  void ExpiryLoop() EXCLUDES(mu_);

  const size_t max_size_;
  const Clock& clock_;
  const std::string policy_name_;
  const Hooks hooks_;
  mutable Mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<Policy> policy_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
  int64_t max_wait_us_ = 0;
  int servers_ = 1;
  int64_t backlog_us_ GUARDED_BY(mu_) = 0;  // Σ predicted_us of the queued jobs
  size_t batch_bytes_limit_ = 0;
  int64_t max_rows_override_ = -1;
  int64_t delay_override_us_ = -1;
  std::vector<Forming> forming_ GUARDED_BY(mu_);
  size_t forming_jobs_ GUARDED_BY(mu_) = 0;  // members of forming_, counted as queued
  // Deadlines of the queued jobs that have one (earliest first).
  std::multiset<int64_t> deadlines_ GUARDED_BY(mu_);
  std::condition_variable expiry_cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread expiry_thread_;  // started under mu_ with the first deadline
};

}  // namespace switchyard
