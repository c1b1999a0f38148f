// ControllerView: the adaptive controller's view of the real server (a
// ControlledServer): each window's figures from ServerMetrics
// (server/server_window.h), and switching through the executor slot's live
// switch, waited for.
//
// Thread-safety: the controller's thread only (Observe, Apply); Draining
// from any. Lifetime: the slot, metrics and machine load outlive it.
#pragma once

#include "control/controller.h"
#include "metrics/machine_load.h"
#include "server/executor_slot.h"
#include "server/server_metrics.h"
#include "server/server_window.h"

namespace switchyard {

class ControllerView final : public ControlledServer {
 public:
  // `slo_ms`: the latency target goodput counts against (0: none).
  ControllerView(ExecutorSlot& slot, const ServerMetrics& metrics, MachineLoad& machine_load, double slo_ms);

  WindowStats Observe() override;
  std::optional<WindowStats> Peek() override;
  bool Draining() const override { return slot_.Draining(); }
  Status Apply(const Candidate& candidate, int64_t* start_us) override;
  bool CanRunCanary() const override { return true; }
  Status StartCanary(const Candidate& candidate, double share, int64_t* start_us) override;
  Status EndCanary(bool promote) override;
  std::array<WindowStats, 2> Parts() const override { return window_.parts(); }
  CanaryState Canary() const override;

 private:
  ExecutorSlot& slot_;
  MachineLoad& machine_load_;
  ServerWindow window_;
};

}  // namespace switchyard
