// ServerWindow: what the adaptive controller observes, as differences of the
// server's cumulative counters between two windows.
#include "server/server_window.h"

#include <gtest/gtest.h>

#include "control/window_stats.h"
#include "server/server_metrics.h"

namespace switchyard {
namespace {

TEST(ServerWindowTest, TheGilHeldShareIsThisWindowsHoldOverTheTimeItsPythonRequestsRanAndZeroWithoutPython) {
  ServerMetrics metrics;
  ServerWindow window(metrics, /*slo_ms=*/0, /*now_us=*/0);
  WindowStats w = window.Observe(1'000'000, 0, 0);
  EXPECT_EQ(w.gil_held_share, 0.0);

  metrics.python_run_us += 10'000;
  metrics.python_gil_hold_us += 8'000;
  w = window.Observe(2'000'000, 0, 0);
  EXPECT_DOUBLE_EQ(w.gil_held_share, 0.8);

  // The next window's own requests, not the running total (which is 0.45).
  metrics.python_run_us += 10'000;
  metrics.python_gil_hold_us += 1'000;
  w = window.Observe(3'000'000, 0, 0);
  EXPECT_DOUBLE_EQ(w.gil_held_share, 0.1);
  const std::vector<double> features = WorkloadFeatures(w);
  ASSERT_EQ(features.size(), static_cast<size_t>(kWorkloadFeatures));
  EXPECT_DOUBLE_EQ(features.back(), 0.1);

  // A window without Python requests says nothing of the GIL.
  w = window.Observe(4'000'000, 0, 0);
  EXPECT_EQ(w.gil_held_share, 0.0);
}

}  // namespace
}  // namespace switchyard
