// SimMachine: the cores and the clock of a simulated server, in virtual time.
//
// CPU work time-shares the machine's C cores by processor sharing: while n
// CPU tasks run, each progresses at min(1, C / n) µs of its work per µs, as
// the kernel's scheduler shares cores among runnable threads (on average,
// without its time slices). A wait (a sleep, an I/O request) takes time and
// no core. A task ends by calling its owner's OnTaskDone.
//
// Time is in integer µs; a processor-shared task's end is rounded up to the
// next µs (the work it still owed is forgiven, at most 1 µs's worth).
//
// Not thread-safe: one simulation belongs to one thread. Owners must outlive
// their running tasks (an executor model is destroyed only once idle).
#pragma once

#include <cstdint>
#include <queue>
#include <tuple>
#include <vector>

namespace switchyard {

class TaskOwner {
 public:
  virtual ~TaskOwner() = default;
  // The task started with `token` is done, at `now_us`. May start new tasks.
  virtual void OnTaskDone(uint64_t token, int64_t now_us) = 0;
};

class SimMachine {
 public:
  // `cores` >= 1 (checked by the caller).
  explicit SimMachine(int cores) : cores_(cores) {}

  int cores() const { return cores_; }
  int64_t now_us() const { return now_us_; }

  // `work_us` of CPU work, starting now.
  void StartCpu(TaskOwner* owner, uint64_t token, int64_t work_us);
  // A wait of `duration_us`, starting now: no core.
  void StartWait(TaskOwner* owner, uint64_t token, int64_t duration_us);

  // When the next task ends (>= now), INT64_MAX when none runs.
  int64_t NextEventUs() const;
  // Advances the clock to `t_us` (>= now), ending every task due by then in
  // time order; tasks started by the callbacks are ended too when due by then.
  // Tasks due at the same instant end in the order they were started.
  void RunUntil(int64_t t_us);

  int running_cpu() const { return static_cast<int>(cpu_.size()); }
  int running_waits() const { return static_cast<int>(waits_.size()); }
  // Core-µs used since the start: the integral of min(n, C) over time.
  double busy_core_us() const { return busy_core_us_; }

 private:
  // (end, start order, owner, token); for CPU tasks `end` is in attained-
  // service units (see service_), for waits in µs.
  using CpuTask = std::tuple<double, uint64_t, TaskOwner*, uint64_t>;
  using WaitTask = std::tuple<int64_t, uint64_t, TaskOwner*, uint64_t>;

  double Rate() const;
  void AdvanceClock(int64_t t_us);

  const int cores_;
  int64_t now_us_ = 0;
  // The work a CPU task running since the start would have received by now:
  // a task that needs W µs of work and started at service s0 ends when
  // service_ reaches s0 + W.
  double service_ = 0;
  double busy_core_us_ = 0;
  uint64_t started_ = 0;
  std::priority_queue<CpuTask, std::vector<CpuTask>, std::greater<>> cpu_;
  std::priority_queue<WaitTask, std::vector<WaitTask>, std::greater<>> waits_;
};

}  // namespace switchyard
