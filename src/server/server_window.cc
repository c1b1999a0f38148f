#include "server/server_window.h"

#include <algorithm>

namespace switchyard {

ServerWindow::ServerWindow(const ServerMetrics& metrics, double slo_ms, int64_t now_us)
    : metrics_(metrics),
      slo_ms_(slo_ms),
      last_us_(now_us),
      last_(Read()),
      last_total_(metrics.total_us),
      last_part_total_{LatencyHistogram(metrics.parts[0].total_us), LatencyHistogram(metrics.parts[1].total_us)} {}

ServerWindow::Counters ServerWindow::Read() const {
  Counters c;
  for (size_t i = 0; i < kCostKinds; ++i) {
    c.admitted[i] = metrics_.admitted_by_kind[i].load(std::memory_order_relaxed);
    c.predicted_us[i] = metrics_.admitted_predicted_us[i].load(std::memory_order_relaxed);
  }
  c.sleep_us = metrics_.admitted_sleep_us.load(std::memory_order_relaxed);
  c.ok = metrics_.jobs_ok.load(std::memory_order_relaxed);
  c.failed = metrics_.jobs_failed.load(std::memory_order_relaxed);
  c.python_run_us = metrics_.python_run_us.load(std::memory_order_relaxed);
  c.python_gil_hold_us = metrics_.python_gil_hold_us.load(std::memory_order_relaxed);
  for (size_t p = 0; p < 2; ++p) {
    c.part_admitted[p] = metrics_.parts[p].admitted.load(std::memory_order_relaxed);
    c.part_ok[p] = metrics_.parts[p].ok.load(std::memory_order_relaxed);
    c.part_failed[p] = metrics_.parts[p].failed.load(std::memory_order_relaxed);
  }
  return c;
}

WindowStats ServerWindow::Observe(int64_t now_us, double queue_length, double cpu_utilisation) {
  Counters now;
  LatencyHistogram total;
  WindowStats w = Compute(now_us, queue_length, cpu_utilisation, now, total);
  ObserveParts(w.seconds > 0 ? w.seconds : 1, now);
  last_us_ = now_us;
  last_ = now;
  // `total` is the copy taken now: the next window starts where it ends.
  last_total_.Reset();
  last_total_.Merge(total);
  return w;
}

void ServerWindow::SetLatency(WindowStats& w, const LatencyHistogram& window, uint64_t ok, double secs) const {
  // Latency of what finished in the window (failures too: few, and a slow
  // failure is slow for its client as well).
  w.p95_ms = static_cast<double>(window.Percentile(0.95)) / 1e3;
  w.p99_ms = static_cast<double>(window.Percentile(0.99)) / 1e3;
  if (slo_ms_ > 0) {
    const uint64_t within = window.CountAtMost(static_cast<int64_t>(slo_ms_ * 1e3));
    w.goodput = static_cast<double>(std::min(within, ok)) / secs;
  } else {
    w.goodput = w.throughput;
  }
}

void ServerWindow::ObserveParts(double secs, const Counters& now) {
  for (size_t p = 0; p < 2; ++p) {
    LatencyHistogram total(metrics_.parts[p].total_us);
    LatencyHistogram window(total);
    window.Subtract(last_part_total_[p]);
    WindowStats& w = parts_[p];
    w = WindowStats{};
    w.seconds = secs;
    w.arrival_rate = static_cast<double>(now.part_admitted[p] - last_.part_admitted[p]) / secs;
    const uint64_t ok = now.part_ok[p] - last_.part_ok[p];
    w.throughput = static_cast<double>(ok) / secs;
    w.error_rate = static_cast<double>(now.part_failed[p] - last_.part_failed[p]) / secs;
    SetLatency(w, window, ok, secs);
    last_part_total_[p].Reset();
    last_part_total_[p].Merge(total);
  }
}

WindowStats ServerWindow::Peek(int64_t now_us, double queue_length, double cpu_utilisation) const {
  Counters now;
  LatencyHistogram total;
  return Compute(now_us, queue_length, cpu_utilisation, now, total);
}

WindowStats ServerWindow::Compute(int64_t now_us, double queue_length, double cpu_utilisation, Counters& now,
                                  LatencyHistogram& total) const {
  now = Read();
  total.Merge(metrics_.total_us);
  LatencyHistogram window(total);
  window.Subtract(last_total_);

  WindowStats w;
  w.seconds = static_cast<double>(now_us - last_us_) / 1e6;
  const double secs = w.seconds > 0 ? w.seconds : 1;
  AdmittedMix admitted;
  for (size_t i = 0; i < kCostKinds; ++i) {
    admitted.count[i] = now.admitted[i] - last_.admitted[i];
    admitted.predicted_us[i] = static_cast<double>(now.predicted_us[i] - last_.predicted_us[i]);
  }
  SetAdmitted(w, admitted);
  // Seconds of sleeping admitted per second: by Little's law, how many sleeps
  // the load keeps in progress at once. A sleep says how long it is, so this
  // needs no prediction (the predictor knows nothing of a new sleep class in
  // the first window of a phase that brings it).
  w.wait_load = static_cast<double>(now.sleep_us - last_.sleep_us) / 1e6 / secs;
  const uint64_t ok = now.ok - last_.ok;
  w.throughput = static_cast<double>(ok) / secs;
  w.error_rate = static_cast<double>(now.failed - last_.failed) / secs;
  SetLatency(w, window, ok, secs);
  w.queue_length = queue_length;
  w.in_system = static_cast<double>(
      std::max<int64_t>(0, metrics_.requests_in_progress.load(std::memory_order_relaxed)));
  w.cpu_utilisation = cpu_utilisation;
  const uint64_t python_run = now.python_run_us - last_.python_run_us;
  if (python_run > 0) {
    w.gil_held_share = std::min(
        1.0, static_cast<double>(now.python_gil_hold_us - last_.python_gil_hold_us) / static_cast<double>(python_run));
  }
  return w;
}

}  // namespace switchyard
