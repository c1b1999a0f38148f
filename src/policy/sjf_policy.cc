// sjf: shortest predicted job first. Jobs are ordered by Job::predicted_us
// (the runtime predictor's guess, set before Push), FIFO among equal guesses.
// Non-preemptive: a long job that started runs to its end.
//
// Mean waiting time is minimal for a non-preemptive single queue when the
// guesses are right; the price is paid by the long jobs, which wait behind
// every shorter one that arrives meanwhile (no aging here: use priority with
// --aging-ms where that matters more than the mean).
#include <map>
#include <utility>

#include "policy/policy.h"

namespace switchyard {
namespace {

class SjfPolicy final : public Policy {
 public:
  std::string_view name() const override { return "sjf"; }

  void Push(Job job, int64_t /*now_us*/) override {
    const int64_t key = job.predicted_us;
    jobs_.emplace(std::make_pair(key, next_seq_++), std::move(job));
  }

  std::optional<Job> Pop(int64_t /*now_us*/) override {
    if (jobs_.empty()) return std::nullopt;
    auto first = jobs_.begin();
    Job job = std::move(first->second);
    jobs_.erase(first);
    return job;
  }

  size_t size() const override { return jobs_.size(); }

  void TakeExpired(int64_t now_us, std::vector<Job>& expired) override {
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      if (it->second.deadline_us > 0 && it->second.deadline_us <= now_us) {
        expired.push_back(std::move(it->second));
        it = jobs_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  // (predicted µs, arrival sequence) -> job: the smallest guess first, the
  // earliest among equal guesses.
  std::map<std::pair<int64_t, uint64_t>, Job> jobs_;
  uint64_t next_seq_ = 0;
};

}  // namespace

std::unique_ptr<Policy> MakeSjfPolicy() { return std::make_unique<SjfPolicy>(); }

}  // namespace switchyard
