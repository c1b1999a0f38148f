#include "server/controller_view.h"

#include <future>
#include <memory>

namespace switchyard {

ControllerView::ControllerView(ExecutorSlot& slot, const ServerMetrics& metrics, MachineLoad& machine_load,
                               double slo_ms)
    : slot_(slot), machine_load_(machine_load), window_(metrics, slo_ms, SteadyClock::Now()) {}

WindowStats ControllerView::Observe() {
  std::shared_ptr<Executor> executor = slot_.Current();
  const double queued = executor ? static_cast<double>(executor->queued()) : 0;
  return window_.Observe(SteadyClock::Now(), queued, machine_load_.CpuUtilisation());
}

std::optional<WindowStats> ControllerView::Peek() {
  std::shared_ptr<Executor> executor = slot_.Current();
  const double queued = executor ? static_cast<double>(executor->queued()) : 0;
  return window_.Peek(SteadyClock::Now(), queued, machine_load_.CpuUtilisation());
}

Status ControllerView::Apply(const Candidate& candidate, int64_t* start_us) {
  std::shared_ptr<Executor> executor = slot_.Current();
  if (!executor) return Unavailable("no executor");
  auto done = std::make_shared<std::promise<Result<ExecutorSlot::Switched>>>();
  std::future<Result<ExecutorSlot::Switched>> result = done->get_future();
  const bool queued =
      slot_.RequestSwitch(candidate.ApplyTo(executor->config()),
                          [done](Result<ExecutorSlot::Switched> r) { done->set_value(std::move(r)); });
  if (!queued) return Unavailable("server is shutting down");
  Result<ExecutorSlot::Switched> r = result.get();
  if (!r.ok()) return r.status();
  *start_us = r->start_us;
  return Status::Ok();
}

Status ControllerView::StartCanary(const Candidate& candidate, double share, int64_t* start_us) {
  std::shared_ptr<Executor> executor = slot_.Current();
  if (!executor) return Unavailable("no executor");
  auto done = std::make_shared<std::promise<Result<ExecutorSlot::Switched>>>();
  std::future<Result<ExecutorSlot::Switched>> result = done->get_future();
  const bool queued =
      slot_.RequestCanary(candidate.ApplyTo(executor->config()), share,
                          [done](Result<ExecutorSlot::Switched> r) { done->set_value(std::move(r)); });
  if (!queued) return Unavailable("server is shutting down");
  Result<ExecutorSlot::Switched> r = result.get();
  if (!r.ok()) return r.status();
  *start_us = r->start_us;
  return Status::Ok();
}

Status ControllerView::EndCanary(bool promote) {
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> result = done->get_future();
  if (!slot_.RequestEndCanary(promote, [done](Status s) { done->set_value(std::move(s)); })) {
    return Unavailable("server is shutting down");
  }
  return result.get();
}

ControlledServer::CanaryState ControllerView::Canary() const {
  std::shared_ptr<Executor> canary = slot_.Canary();
  if (!canary) return {};
  const ExecutorStats s = canary->Stats();
  return {.running = true,
          .queued = static_cast<double>(s.queued),
          .workers = s.workers,
          .worker_restarts = s.worker_restarts};
}

}  // namespace switchyard
