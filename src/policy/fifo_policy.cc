// fifo: jobs run in the order they were admitted.
#include <deque>

#include "policy/policy.h"

namespace switchyard {
namespace {

class FifoPolicy final : public Policy {
 public:
  std::string_view name() const override { return "fifo"; }
  void Push(Job job, int64_t /*now_us*/) override { jobs_.push_back(std::move(job)); }
  std::optional<Job> Pop(int64_t /*now_us*/) override {
    if (jobs_.empty()) return std::nullopt;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    return job;
  }
  size_t size() const override { return jobs_.size(); }
  void TakeExpired(int64_t now_us, std::vector<Job>& expired) override { MoveExpired(jobs_, now_us, expired); }
  void TakeIf(const std::function<bool(const Job&)>& take, std::vector<Job>& taken) override {
    MoveIf(jobs_, take, taken);
  }

 private:
  std::deque<Job> jobs_;
};

}  // namespace

std::unique_ptr<Policy> MakeFifoPolicy() { return std::make_unique<FifoPolicy>(); }

}  // namespace switchyard
