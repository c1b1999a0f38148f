// Policy: a queue discipline deciding which admitted job runs next.
//
// A policy is a pure data structure: no locks, no threads, no clock of its
// own (time is passed in), so it is deterministic and can be unit-tested and
// driven by a simulator. WorkQueue adds the locking and the bound.
//
// fifo, lifo, priority (with aging), sjf, mlfq and drr. sjf, mlfq and drr
// read Job::predicted_us, which WorkQueue fills from the runtime predictor
// before Push (the simulator from its own predictor).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/request.h"

namespace switchyard {

// Externally synchronized.
class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string_view name() const = 0;
  virtual void Push(Job job, int64_t now_us) = 0;
  // The next job to run, or nullopt when empty.
  virtual std::optional<Job> Pop(int64_t now_us) = 0;
  virtual size_t size() const = 0;

  // Moves every queued job whose deadline_us is set and <= now_us to
  // `expired`, in no particular order.
  virtual void TakeExpired(int64_t now_us, std::vector<Job>& expired) = 0;

  // Moves the queued jobs `take` accepts to `taken`. `take` sees them in
  // this policy's order as nearly as its structure keeps one (the most
  // urgent class first, arrival order within a class) and may accept or
  // refuse each; dynamic batching fills a batch this way behind the job Pop
  // chose to lead it.
  virtual void TakeIf(const std::function<bool(const Job&)>& take, std::vector<Job>& taken) = 0;

  // How long `job`, just popped, may run before it is preempted and pushed
  // back (mlfq, for work that can run in slices: IsSliceable); 0: to the end.
  virtual int64_t SliceUs(const Job& /*job*/) const { return 0; }
};

// Whether a job's work can stop at a slice boundary and resume: the SHA-256
// chain and sleep can; a model inference and a database lookup cannot.
bool IsSliceable(const ScoreRequest& request);

// Moves the jobs of `jobs` that `pick` accepts to `out`, in order, keeping
// the order of the rest; returns how many moved. For policies built on
// deques.
template <typename Container, typename Pick>
size_t MoveIf(Container& jobs, Pick&& pick, std::vector<Job>& out) {
  auto keep = jobs.begin();
  size_t moved = 0;
  for (auto it = jobs.begin(); it != jobs.end(); ++it) {
    if (pick(*it)) {
      out.push_back(std::move(*it));
      ++moved;
    } else {
      if (keep != it) *keep = std::move(*it);
      ++keep;
    }
  }
  jobs.erase(keep, jobs.end());
  return moved;
}

// Moves the jobs of `jobs` whose deadline has passed to `expired`, keeping
// the order of the rest.
template <typename Container>
void MoveExpired(Container& jobs, int64_t now_us, std::vector<Job>& expired) {
  MoveIf(jobs, [now_us](const Job& j) { return j.deadline_us > 0 && j.deadline_us <= now_us; }, expired);
}

// What the policies that need it are configured with.
struct PolicyOptions {
  // priority: Job::priority 1 is the most urgent class, `priority_levels` the
  // least; 0 (a request that names none) is the least urgent class too, so
  // unmarked traffic never overtakes marked traffic — as Triton's priority
  // parameter reads, with its default level set to the lowest.
  int priority_levels = 4;
  // priority: a queued job moves up one class per `aging_us` it has waited,
  // so no class starves; 0 disables aging.
  int64_t aging_us = 0;
  // mlfq: the quantum of each level, top (level 0, where new work starts)
  // first. A job that has run longer than its level's quantum is demoted one
  // level; the last level's quantum is its round-robin slice.
  std::vector<int64_t> mlfq_quanta_us = {2'000, 10'000, 50'000};
  // mlfq: every `mlfq_boost_us` all queued work goes back to the top level
  // (its demotions forgotten), so a steady stream of short requests cannot
  // starve long ones forever (OSTEP's MLFQ rule 5). 0: never.
  int64_t mlfq_boost_us = 100'000;
  // drr: service (predicted µs) credited to each backlogged client per round.
  int64_t drr_quantum_us = 1'000;

  // InvalidArgument naming the bad field.
  Status Validate() const;
};

// Names accepted by CreatePolicy.
std::vector<std::string> PolicyNames();

// InvalidArgument naming the known policies if `name` is not one of them, or
// the problem with `options`.
Result<std::unique_ptr<Policy>> CreatePolicy(std::string_view name, const PolicyOptions& options = {});

std::unique_ptr<Policy> MakeFifoPolicy();
std::unique_ptr<Policy> MakeLifoPolicy();
std::unique_ptr<Policy> MakePriorityPolicy(const PolicyOptions& options);
std::unique_ptr<Policy> MakeSjfPolicy();
std::unique_ptr<Policy> MakeMlfqPolicy(const PolicyOptions& options);
std::unique_ptr<Policy> MakeDrrPolicy(const PolicyOptions& options);

}  // namespace switchyard
