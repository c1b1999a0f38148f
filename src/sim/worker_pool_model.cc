// threads/N and processes/N in virtual time (executor_model.h): N workers
// behind the policy queue.
#include <algorithm>
#include <unordered_map>

#include "sim/executor_model.h"

namespace switchyard {
namespace {

ScoreMode ModeOf(const SimJob& job) {
  switch (job.kind) {
    case DemandKind::kIo:
      return ScoreMode::kIo;
    case DemandKind::kSleep:
      return ScoreMode::kSleep;
    case DemandKind::kCpu:
      break;
  }
  return job.cost_class.kind() == CostKind::kModel ? ScoreMode::kInfer : ScoreMode::kCpu;
}

class WorkerPoolModel final : public ExecutorModel {
 public:
  WorkerPoolModel(const Candidate& candidate, std::unique_ptr<Policy> policy, int64_t ipc_us,
                  SimMachine& machine, DoneFn done)
      : label_(candidate.Label()),
        policy_(std::move(policy)),
        ipc_us_(ipc_us),
        machine_(machine),
        done_(std::move(done)),
        idle_(candidate.workers()) {}

  void Admit(SimJob job) override {
    const int64_t now = machine_.now_us();
    Job j;
    j.id = job.id;
    j.arrival_us = now;
    j.priority = job.priority;
    j.client = job.client;
    j.features.cost_class = job.cost_class;
    j.request.mode = ModeOf(job);
    j.predicted_us = std::max<int64_t>(1, job.predicted_us);
    Entry& e = jobs_[job.id];
    e.remaining_us = job.demand_us + ipc_us_;
    e.job = std::move(job);
    policy_->Push(std::move(j), now);
    StartWork();
  }

  void OnTaskDone(uint64_t token, int64_t now_us) override {
    ++idle_;
    auto it = jobs_.find(token);
    Entry& e = it->second;
    e.remaining_us -= e.slice_us;
    if (e.remaining_us > 0) {
      // Preempted at mlfq's slice boundary: back to the queue, one slice older.
      Job job = std::move(*e.running);
      e.running.reset();
      ++job.slices;
      job.attained_us += e.slice_us;
      policy_->Push(std::move(job), now_us);
    } else {
      const SimJob job = std::move(e.job);
      const int64_t start = e.start_us;
      jobs_.erase(it);
      done_(job, start, now_us);
    }
    StartWork();
  }

  size_t queued() const override { return policy_->size(); }
  size_t in_system() const override { return jobs_.size(); }
  std::string label() const override { return label_; }

 private:
  struct Entry {
    SimJob job;
    int64_t remaining_us = 0;
    int64_t slice_us = 0;  // what the current run does
    int64_t start_us = -1;
    std::optional<Job> running;  // kept to requeue after a slice
  };

  void StartWork() {
    const int64_t now = machine_.now_us();
    while (idle_ > 0) {
      std::optional<Job> job = policy_->Pop(now);
      if (!job) return;
      Entry& e = jobs_.at(job->id);
      const int64_t slice = policy_->SliceUs(*job);
      e.slice_us = slice > 0 ? std::min(slice, e.remaining_us) : e.remaining_us;
      if (e.start_us < 0) e.start_us = now;
      if (e.job.kind == DemandKind::kCpu) {
        machine_.StartCpu(this, job->id, e.slice_us);
      } else {
        machine_.StartWait(this, job->id, e.slice_us);
      }
      e.running = std::move(job);
      --idle_;
    }
  }

  const std::string label_;
  std::unique_ptr<Policy> policy_;
  const int64_t ipc_us_;
  SimMachine& machine_;
  DoneFn done_;
  int idle_;
  std::unordered_map<uint64_t, Entry> jobs_;
};

}  // namespace

std::unique_ptr<ExecutorModel> MakeWorkerPoolModel(const Candidate& candidate, std::unique_ptr<Policy> policy,
                                                   int64_t ipc_us, SimMachine& machine,
                                                   ExecutorModel::DoneFn done) {
  return std::make_unique<WorkerPoolModel>(candidate, std::move(policy), ipc_us, machine, std::move(done));
}

}  // namespace switchyard
