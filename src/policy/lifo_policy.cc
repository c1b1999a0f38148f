// lifo: the most recently admitted job runs first. Under overload the jobs
// that are still fresh (whose clients are still waiting) are served, and the
// stale ones wait — seed 004's alternative to FIFO's convoy.
#include <algorithm>
#include <vector>

#include "policy/policy.h"

namespace switchyard {
namespace {

class LifoPolicy final : public Policy {
 public:
  std::string_view name() const override { return "lifo"; }
  void Push(Job job, int64_t /*now_us*/) override { jobs_.push_back(std::move(job)); }
  std::optional<Job> Pop(int64_t /*now_us*/) override {
    if (jobs_.empty()) return std::nullopt;
    Job job = std::move(jobs_.back());
    jobs_.pop_back();
    return job;
  }
  size_t size() const override { return jobs_.size(); }
  void TakeExpired(int64_t now_us, std::vector<Job>& expired) override { MoveExpired(jobs_, now_us, expired); }
  void TakeIf(const std::function<bool(const Job&)>& take, std::vector<Job>& taken) override {
    // Newest first, as Pop takes them.
    std::reverse(jobs_.begin(), jobs_.end());
    MoveIf(jobs_, take, taken);
    std::reverse(jobs_.begin(), jobs_.end());
  }

 private:
  std::vector<Job> jobs_;
};

}  // namespace

std::unique_ptr<Policy> MakeLifoPolicy() { return std::make_unique<LifoPolicy>(); }

}  // namespace switchyard
