// mlfq: a multi-level feedback queue. Every level is FIFO; a higher level
// (0 is the top) always runs first.
//
// Work that can run in slices (IsSliceable: the SHA-256 chain, sleep) starts
// at the top and runs for its level's quantum at a time; each slice it uses
// up in full demotes it one level (WorkQueue preempts it at the slice
// boundary and pushes the rest back, counting Job::slices). Short work thus
// finishes in the top levels, and long work sinks to the bottom, where it
// shares the workers round-robin.
//
// Work that cannot be sliced (a model inference, a database lookup) is placed
// once, by its predicted cost, at the level its whole run would have reached
// had it been sliced, and runs to its end.
//
// Every `mlfq_boost_us` everything queued moves back to the top level, its
// demotions forgotten (Job::slices counts demotions since the last boost):
// without it, a closed-loop stream of short requests kept the top level busy
// and a 2 ms chain demoted after its first slice waited 580 ms at the p99.
#include <deque>
#include <vector>

#include "policy/policy.h"

namespace switchyard {
namespace {

class MlfqPolicy final : public Policy {
 public:
  explicit MlfqPolicy(const PolicyOptions& options)
      : quanta_us_(options.mlfq_quanta_us), boost_us_(options.mlfq_boost_us), levels_(options.mlfq_quanta_us.size()) {}

  std::string_view name() const override { return "mlfq"; }

  void Push(Job job, int64_t /*now_us*/) override {
    levels_[LevelOf(job)].push_back(std::move(job));
    ++size_;
  }

  std::optional<Job> Pop(int64_t now_us) override {
    if (boost_us_ > 0 && now_us - last_boost_us_ >= boost_us_) Boost(now_us);
    for (auto& level : levels_) {
      if (level.empty()) continue;
      Job job = std::move(level.front());
      level.pop_front();
      --size_;
      return job;
    }
    return std::nullopt;
  }

  size_t size() const override { return size_; }

  void TakeExpired(int64_t now_us, std::vector<Job>& expired) override {
    const size_t before = expired.size();
    for (auto& level : levels_) MoveExpired(level, now_us, expired);
    size_ -= expired.size() - before;
  }

  void TakeIf(const std::function<bool(const Job&)>& take, std::vector<Job>& taken) override {
    for (auto& level : levels_) size_ -= MoveIf(level, take, taken);
  }

  int64_t SliceUs(const Job& job) const override {
    return IsSliceable(job.request) ? quanta_us_[LevelOf(job)] : 0;
  }

 private:
  // Everything below the top goes back to it, in level order (FIFO within).
  void Boost(int64_t now_us) {
    last_boost_us_ = now_us;
    for (size_t l = 1; l < levels_.size(); ++l) {
      for (Job& job : levels_[l]) {
        job.slices = 0;
        levels_[0].push_back(std::move(job));
      }
      levels_[l].clear();
    }
  }

  size_t LevelOf(const Job& job) const {
    const size_t last = levels_.size() - 1;
    if (IsSliceable(job.request)) {
      // One level down per slice used in full.
      return std::min(static_cast<size_t>(job.slices < 0 ? 0 : job.slices), last);
    }
    // The level at which the predicted run would have been, sliced.
    size_t level = 0;
    int64_t reached = quanta_us_[0];
    while (level < last && job.predicted_us >= reached) {
      ++level;
      reached += quanta_us_[level];
    }
    return level;
  }

  const std::vector<int64_t> quanta_us_;
  const int64_t boost_us_;
  int64_t last_boost_us_ = 0;
  std::vector<std::deque<Job>> levels_;
  size_t size_ = 0;
};

}  // namespace

std::unique_ptr<Policy> MakeMlfqPolicy(const PolicyOptions& options) { return std::make_unique<MlfqPolicy>(options); }

}  // namespace switchyard
