// async in virtual time (executor_model.h): event loops that suspend waits,
// and CPU work that blocks its loop or runs on offload threads.
#include <deque>
#include <unordered_map>
#include <vector>

#include "sim/executor_model.h"

namespace switchyard {
namespace {

class AsyncModel final : public ExecutorModel {
 public:
  AsyncModel(const Candidate& candidate, int loops, SimMachine& machine, DoneFn done)
      : label_(candidate.Label()),
        machine_(machine),
        done_(std::move(done)),
        loops_(static_cast<size_t>(loops)),
        offload_(candidate.offload()),
        offload_idle_(candidate.offload()) {}

  void Admit(SimJob job) override {
    const size_t loop = static_cast<size_t>(job.connection < 0 ? 0 : job.connection) % loops_.size();
    const uint64_t id = job.id;
    Entry& e = jobs_[id];
    e.job = std::move(job);
    e.loop = loop;
    if (loops_[loop].blocked_by != kNone) {
      loops_[loop].backlog.push_back({id, /*finish=*/false});
      ++waiting_;
    } else {
      Begin(id);
    }
  }

  void OnTaskDone(uint64_t token, int64_t now_us) override {
    const Entry& e = jobs_.at(token);
    const size_t index = e.loop;
    Loop& loop = loops_[index];
    switch (e.where) {
      case Where::kOnLoop:  // the loop ran it: free again
        loop.blocked_by = kNone;
        Finish(token, now_us);
        RunBacklog(index);
        return;
      case Where::kOffload:
        ++offload_idle_;
        StartOffload();
        [[fallthrough]];
      case Where::kSuspended:  // its coroutine resumes on its loop
        if (loop.blocked_by != kNone) {
          loop.backlog.push_back({token, /*finish=*/true});
        } else {
          Finish(token, now_us);
        }
        return;
    }
  }

  size_t queued() const override { return waiting_ + offload_queue_.size(); }
  size_t in_system() const override { return jobs_.size(); }
  std::string label() const override { return label_; }

 private:
  static constexpr uint64_t kNone = UINT64_MAX;
  enum class Where { kOnLoop, kSuspended, kOffload };
  struct Entry {
    SimJob job;
    size_t loop = 0;
    Where where = Where::kSuspended;
    int64_t start_us = -1;
  };
  struct Pending {
    uint64_t id;
    bool finish;  // a done job to answer; else a new job to begin
  };
  struct Loop {
    uint64_t blocked_by = kNone;  // the job running on it
    std::deque<Pending> backlog;  // what came while it was blocked, in order
  };

  // Starts job `id` on its loop, which is free.
  void Begin(uint64_t id) {
    Entry& e = jobs_.at(id);
    e.start_us = machine_.now_us();
    switch (e.job.kind) {
      case DemandKind::kSleep:
        e.where = Where::kSuspended;
        machine_.StartWait(this, id, e.job.demand_us);
        return;
      case DemandKind::kIo:
        e.where = Where::kOnLoop;
        loops_[e.loop].blocked_by = id;
        machine_.StartWait(this, id, e.job.demand_us);
        return;
      case DemandKind::kCpu:
        if (offload_ > 0) {
          e.where = Where::kOffload;
          offload_queue_.push_back(id);
          StartOffload();
        } else {
          e.where = Where::kOnLoop;
          loops_[e.loop].blocked_by = id;
          machine_.StartCpu(this, id, e.job.demand_us);
        }
        return;
    }
  }

  void StartOffload() {
    while (offload_idle_ > 0 && !offload_queue_.empty()) {
      const uint64_t id = offload_queue_.front();
      offload_queue_.pop_front();
      --offload_idle_;
      machine_.StartCpu(this, id, jobs_.at(id).job.demand_us);
    }
  }

  // The loop is free: what waited for it, in order, until it blocks again.
  void RunBacklog(size_t index) {
    Loop& loop = loops_[index];
    while (loop.blocked_by == kNone && !loop.backlog.empty()) {
      const Pending p = loop.backlog.front();
      loop.backlog.pop_front();
      if (p.finish) {
        Finish(p.id, machine_.now_us());
      } else {
        --waiting_;
        Begin(p.id);
      }
    }
  }

  void Finish(uint64_t id, int64_t now_us) {
    auto it = jobs_.find(id);
    const SimJob job = std::move(it->second.job);
    const int64_t start = it->second.start_us;
    jobs_.erase(it);
    done_(job, start, now_us);
  }

  const std::string label_;
  SimMachine& machine_;
  DoneFn done_;
  std::vector<Loop> loops_;
  const int offload_;
  int offload_idle_;
  std::deque<uint64_t> offload_queue_;
  size_t waiting_ = 0;  // new jobs in the loops' backlogs
  std::unordered_map<uint64_t, Entry> jobs_;
};

}  // namespace

std::unique_ptr<ExecutorModel> MakeAsyncModel(const Candidate& candidate, int loops, SimMachine& machine,
                                              ExecutorModel::DoneFn done) {
  return std::make_unique<AsyncModel>(candidate, loops, machine, std::move(done));
}

}  // namespace switchyard
