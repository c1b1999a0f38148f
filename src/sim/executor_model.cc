#include "sim/executor_model.h"

namespace switchyard {

DemandKind DemandKindOf(const CostClass& cost_class) {
  switch (cost_class.kind()) {
    case CostKind::kIo:
      return DemandKind::kIo;
    case CostKind::kSleep:
      return DemandKind::kSleep;
    case CostKind::kCpu:
    case CostKind::kModel:
      break;
  }
  return DemandKind::kCpu;
}

Result<std::unique_ptr<ExecutorModel>> CreateExecutorModel(const Candidate& candidate,
                                                           const ExecutorModelOptions& options,
                                                           SimMachine& machine, ExecutorModel::DoneFn done) {
  if (options.ipc_us < 0) return InvalidArgument("the IPC overhead must not be negative");
  auto policy = CreatePolicy(candidate.policy(), options.policy_options);
  if (!policy.ok()) return policy.status();
  switch (candidate.executor()) {
    case ExecutorKind::kThreads:
    case ExecutorKind::kProcesses:
      if (candidate.workers() < 1) return InvalidArgument(candidate.Label() + ": workers must be at least 1");
      return MakeWorkerPoolModel(candidate, std::move(policy).value(),
                                 candidate.executor() == ExecutorKind::kProcesses ? options.ipc_us : 0,
                                 machine, std::move(done));
    case ExecutorKind::kAsync:
      if (options.io_threads < 1)
        return InvalidArgument("async needs at least one event loop (--io-threads)");
      if (candidate.offload() < 0)
        return InvalidArgument(candidate.Label() + ": offload must not be negative");
      return MakeAsyncModel(candidate, options.io_threads, machine, std::move(done));
  }
  return InvalidArgument("unknown executor");
}

}  // namespace switchyard
