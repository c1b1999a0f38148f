// PerfCounters: hardware and software event counts for a process tree,
// through perf_event_open(2).
//
// Six counters, each opened on its own (no PERF_FORMAT_GROUP), so that each
// is available or not by itself — in a VM without a virtual PMU the hardware
// ones fail with ENOENT while the software ones work — and because grouped
// reads did not combine with inherit on older kernels (perf_event_open(2),
// "inherit"):
//
//   cycles, instructions, cache_misses        PERF_TYPE_HARDWARE
//   context_switches, cpu_migrations,         PERF_TYPE_SOFTWARE
//   task_clock_ns (CPU time, nanoseconds)
//
// What is counted. Each counter is opened with pid = 0, cpu = -1, inherit = 1:
//  - the thread that calls Open(), from then on;
//  - every thread and process it, or any of those, creates *afterwards*, to
//    any depth (the zygote, workers the zygote forks, spawned workers across
//    their execve). The kernel links each inherited copy back to the original
//    event, and reading our descriptor sums the original with every live copy
//    (kernel/events/core.c, perf_event_read_value walks the event's
//    child_list). Verified on Linux 6.18: a forked child's and grandchild's
//    switches and task clock show while they are still running.
//  - tasks that have exited: when an inherited task exits its count is
//    folded into the original event, so the totals never go down.
// What is not counted:
//  - threads that already existed when Open() ran (inherit applies only to
//    tasks created later) — so open the counters while the process is still
//    single-threaded;
//  - anything before Open().
// Kernel and user mode are both counted (exclude_kernel = 0): a context
// switch happens in the kernel, so counting user mode only would report zero
// switches. Where perf_event_paranoid forbids that to an unprivileged user
// the counter is unavailable (EACCES), never silently user-only.
//
// An unavailable counter has no value and a reason; it is never reported as
// zero. A hardware counter that the kernel had to multiplex is scaled by
// time_enabled / time_running, as `perf stat` does; one that never ran is
// unavailable.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace switchyard {

enum class PerfCounterId {
  kCycles,
  kInstructions,
  kCacheMisses,
  kContextSwitches,
  kCpuMigrations,
  kTaskClock,
};
inline constexpr int kPerfCounterCount = 6;

// The /stats key: cycles, instructions, cache_misses, context_switches,
// cpu_migrations, task_clock_ns. Thread-safe (a constant table).
std::string_view PerfCounterName(PerfCounterId id);

// One counter at one moment. A plain value: not synchronized.
struct PerfReading {
  PerfCounterId id;
  std::string_view name;        // PerfCounterName(id)
  std::optional<uint64_t> value;  // absent: unavailable
  std::string unavailable_reason;  // non-empty exactly when value is absent
};

// Thread-safe: Read() may be called from any thread, concurrently (each read
// is one read(2) per descriptor). Lifetime: open with Open() in the process
// to be measured, before it starts threads or children; keep it for as long
// as figures are wanted. Destroying it closes the descriptors, which ends the
// counting in every task that inherited them.
class PerfCounters {
 public:
  // Opens all six for the calling thread and its future descendants. Never
  // fails as a whole: each counter that cannot be opened is kept with the
  // reason (errno name, message and what usually causes it).
  static std::unique_ptr<PerfCounters> Open();

  ~PerfCounters();
  PerfCounters(const PerfCounters&) = delete;
  PerfCounters& operator=(const PerfCounters&) = delete;

  // All six, in PerfCounterId order.
  std::vector<PerfReading> Read() const;

  // How many counters opened (not how many will read successfully).
  int opened() const;

 private:
  struct Counter {
    int fd = -1;
    std::string open_error;  // set when fd < 0
  };
  PerfCounters() = default;

  std::array<Counter, kPerfCounterCount> counters_;
};

}  // namespace switchyard
