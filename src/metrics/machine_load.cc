#include "metrics/machine_load.h"

#include <cstdio>
#include <ctime>

#include "core/clock.h"

namespace switchyard {

namespace {

// The first line of /proc/stat: busy and total jiffies over all CPUs.
bool ReadCpuJiffies(uint64_t& busy, uint64_t& total) {
  std::FILE* f = std::fopen("/proc/stat", "re");
  if (f == nullptr) return false;
  unsigned long long v[8] = {};
  const int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                            &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  if (n < 4) return false;
  total = 0;
  for (unsigned long long x : v) total += x;
  const uint64_t idle = v[3] + v[4];  // idle + iowait
  busy = total - idle;
  return true;
}

}  // namespace

MachineLoad::MachineLoad() { MaybeRefresh(); }

void MachineLoad::MaybeRefresh() {
  const int64_t now = SteadyClock::Now();
  if (now < next_refresh_us_.load(std::memory_order_relaxed)) return;
  // Another reader refreshing now: use the value there is.
  if (!refresh_mu_.TryLock()) return;
  if (now >= next_refresh_us_.load(std::memory_order_relaxed)) Refresh(now);
  refresh_mu_.Unlock();
}

void MachineLoad::Refresh(int64_t now) {
  next_refresh_us_.store(now + 1'000'000, std::memory_order_relaxed);
  uint64_t busy = 0, total = 0;
  if (ReadCpuJiffies(busy, total)) {
    if (last_total_ > 0 && total > last_total_) {
      utilisation_.store(static_cast<double>(busy - last_busy_) / static_cast<double>(total - last_total_),
                         std::memory_order_relaxed);
    }
    last_busy_ = busy;
    last_total_ = total;
  }
  std::time_t t = std::time(nullptr);
  std::tm local{};
  if (localtime_r(&t, &local) != nullptr) hour_.store(local.tm_hour, std::memory_order_relaxed);
}

double MachineLoad::CpuUtilisation() {
  MaybeRefresh();
  return utilisation_.load(std::memory_order_relaxed);
}

int MachineLoad::HourOfDay() {
  MaybeRefresh();
  return hour_.load(std::memory_order_relaxed);
}

}  // namespace switchyard
