// priority: classes 1 (most urgent) .. L, FIFO within a class, with optional
// aging: a job's effective class improves by one per `aging_us` it has
// waited, so a low class cannot starve behind a stream of urgent work.
//
// One FIFO per class. Within a class the oldest job has the best effective
// class, so Pop compares only the heads: O(L) per pop, O(1) per push.
#include <deque>
#include <vector>

#include "policy/policy.h"

namespace switchyard {
namespace {

class PriorityPolicy final : public Policy {
 public:
  explicit PriorityPolicy(const PolicyOptions& options)
      : aging_us_(options.aging_us), classes_(static_cast<size_t>(options.priority_levels)) {}

  std::string_view name() const override { return "priority"; }

  void Push(Job job, int64_t now_us) override {
    // Stamp the time it joined the queue: aging counts from here.
    job.enqueued_us = now_us;
    classes_[ClassOf(job.priority)].push_back(std::move(job));
    ++size_;
  }

  std::optional<Job> Pop(int64_t now_us) override {
    size_t best = classes_.size();
    int64_t best_effective = 0;
    for (size_t c = 0; c < classes_.size(); ++c) {
      if (classes_[c].empty()) continue;
      const Job& head = classes_[c].front();
      int64_t effective = static_cast<int64_t>(c);
      if (aging_us_ > 0) effective -= (now_us - head.enqueued_us) / aging_us_;
      // Ties go to the job that has waited longest: across classes, aging
      // makes an old low-class job equal to a young urgent one.
      if (best == classes_.size() || effective < best_effective ||
          (effective == best_effective && head.enqueued_us < classes_[best].front().enqueued_us)) {
        best = c;
        best_effective = effective;
      }
    }
    if (best == classes_.size()) return std::nullopt;
    Job job = std::move(classes_[best].front());
    classes_[best].pop_front();
    --size_;
    return job;
  }

  size_t size() const override { return size_; }

  void TakeExpired(int64_t now_us, std::vector<Job>& expired) override {
    const size_t before = expired.size();
    for (auto& jobs : classes_) MoveExpired(jobs, now_us, expired);
    size_ -= expired.size() - before;
  }

  void TakeIf(const std::function<bool(const Job&)>& take, std::vector<Job>& taken) override {
    for (auto& jobs : classes_) size_ -= MoveIf(jobs, take, taken);
  }

 private:
  // Job::priority 1..L -> index 0..L-1; 0 (none given) and anything beyond L
  // (the frontend refuses those; a policy must not index out of range) -> L-1.
  size_t ClassOf(int64_t priority) const {
    if (priority < 1 || priority > static_cast<int64_t>(classes_.size())) return classes_.size() - 1;
    return static_cast<size_t>(priority - 1);
  }

  int64_t aging_us_;
  std::vector<std::deque<Job>> classes_;
  size_t size_ = 0;
};

}  // namespace

std::unique_ptr<Policy> MakePriorityPolicy(const PolicyOptions& options) {
  return std::make_unique<PriorityPolicy>(options);
}

}  // namespace switchyard
