#include "metrics/perf_counters.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace switchyard {

namespace {

struct CounterSpec {
  PerfCounterId id;
  std::string_view name;
  uint32_t type;
  uint64_t config;
};

constexpr std::array<CounterSpec, kPerfCounterCount> kSpecs = {{
    {PerfCounterId::kCycles, "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {PerfCounterId::kInstructions, "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {PerfCounterId::kCacheMisses, "cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {PerfCounterId::kContextSwitches, "context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {PerfCounterId::kCpuMigrations, "cpu_migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {PerfCounterId::kTaskClock, "task_clock_ns", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
}};

std::string ParanoidLevel() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  std::string level;
  if (!(in >> level)) return "unknown";
  return level;
}

// "ENOENT (No such file or directory): <what that means here>". The errno
// name is kept so a reader can search for it; the hint is what usually
// causes it for perf_event_open (see ERRORS in perf_event_open(2)).
std::string OpenErrorReason(int err, uint32_t type) {
  const char* name = ::strerrorname_np(err);  // glibc >= 2.32; null for an unknown errno
  std::string reason = (name != nullptr ? std::string(name) : "errno " + std::to_string(err)) + " (" +
                       std::strerror(err) + "): ";
  switch (err) {
    case ENOENT:
    case EOPNOTSUPP:
    case ENODEV:
      reason += type == PERF_TYPE_HARDWARE
                    ? "no hardware PMU is available to this kernel (usual in a VM without a virtual PMU)"
                    : "this kernel does not support the event";
      break;
    case EACCES:
    case EPERM:
      reason += "not permitted: kernel.perf_event_paranoid is " + ParanoidLevel() +
                "; counting kernel-mode events of this process needs it at 1 or lower, or CAP_PERFMON";
      break;
    case ENOSYS:
      reason += "perf_event_open is not available (kernel without CONFIG_PERF_EVENTS, or blocked by seccomp)";
      break;
    case EMFILE:
    case ENFILE:
      reason += "out of file descriptors";
      break;
    default:
      reason += "perf_event_open failed";
      break;
  }
  return reason;
}

}  // namespace

std::string_view PerfCounterName(PerfCounterId id) { return kSpecs[static_cast<size_t>(id)].name; }

std::unique_ptr<PerfCounters> PerfCounters::Open() {
  std::unique_ptr<PerfCounters> counters(new PerfCounters());
  for (size_t i = 0; i < kSpecs.size(); ++i) {
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = kSpecs[i].type;
    attr.config = kSpecs[i].config;
    attr.inherit = 1;  // threads and processes created from now on count too
    attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    // exclude_user/kernel/hv stay 0: see the header on why not user-only.
    long fd = ::syscall(SYS_perf_event_open, &attr, /*pid=*/0, /*cpu=*/-1, /*group_fd=*/-1,
                        PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
      counters->counters_[i].open_error = OpenErrorReason(errno, kSpecs[i].type);
    } else {
      counters->counters_[i].fd = static_cast<int>(fd);
    }
  }
  return counters;
}

PerfCounters::~PerfCounters() {
  for (Counter& c : counters_) {
    if (c.fd >= 0) ::close(c.fd);
  }
}

int PerfCounters::opened() const {
  int n = 0;
  for (const Counter& c : counters_) n += c.fd >= 0 ? 1 : 0;
  return n;
}

std::vector<PerfReading> PerfCounters::Read() const {
  std::vector<PerfReading> out;
  out.reserve(kSpecs.size());
  for (size_t i = 0; i < kSpecs.size(); ++i) {
    PerfReading r{kSpecs[i].id, kSpecs[i].name, std::nullopt, {}};
    const Counter& c = counters_[i];
    if (c.fd < 0) {
      r.unavailable_reason = c.open_error;
      out.push_back(std::move(r));
      continue;
    }
    uint64_t values[3] = {0, 0, 0};  // value, time_enabled, time_running
    ssize_t n;
    do {
      n = ::read(c.fd, values, sizeof values);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof values)) {
      // read(2) returns 0 for a pinned counter in error state; < 0 otherwise.
      r.unavailable_reason = n < 0 ? std::string("read failed: ") + std::strerror(errno)
                                   : "read returned " + std::to_string(n) + " bytes (counter in error state)";
    } else if (values[2] == 0 && values[1] != 0) {
      r.unavailable_reason = "never scheduled on the PMU (all its counters were taken by other events)";
    } else if (values[2] < values[1]) {
      // Multiplexed: estimate the full-time count as perf stat does.
      r.value = static_cast<uint64_t>(static_cast<double>(values[0]) * static_cast<double>(values[1]) /
                                      static_cast<double>(values[2]));
    } else {
      r.value = values[0];
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace switchyard
