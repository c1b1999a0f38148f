#include "executor/executor_config.h"

namespace switchyard {

std::string_view ExecutorKindName(ExecutorKind kind) {
  switch (kind) {
    case ExecutorKind::kThreads:
      return "threads";
    case ExecutorKind::kProcesses:
      return "processes";
    case ExecutorKind::kAsync:
      return "async";
  }
  return "?";
}

std::string_view StartMethodName(StartMethod method) {
  switch (method) {
    case StartMethod::kFork:
      return "fork";
    case StartMethod::kForkServer:
      return "forkserver";
    case StartMethod::kSpawn:
      return "spawn";
  }
  return "?";
}

std::string_view IpcKindName(IpcKind kind) { return kind == IpcKind::kShm ? "shm" : "pipe"; }

Result<ExecutorKind> ParseExecutorKind(std::string_view name) {
  if (name == "threads") return ExecutorKind::kThreads;
  if (name == "processes") return ExecutorKind::kProcesses;
  if (name == "async") return ExecutorKind::kAsync;
  return InvalidArgument("unknown executor '" + std::string(name) + "' (known: threads, processes, async)");
}

Result<StartMethod> ParseStartMethod(std::string_view name) {
  if (name == "fork") return StartMethod::kFork;
  if (name == "forkserver") return StartMethod::kForkServer;
  if (name == "spawn") return StartMethod::kSpawn;
  return InvalidArgument("unknown start method '" + std::string(name) + "' (known: fork, forkserver, spawn)");
}

Result<IpcKind> ParseIpcKind(std::string_view name) {
  if (name == "shm") return IpcKind::kShm;
  if (name == "pipe") return IpcKind::kPipe;
  return InvalidArgument("unknown ipc '" + std::string(name) + "' (known: shm, pipe)");
}

std::string ExecutorConfig::Describe() const {
  std::string s = std::string(ExecutorKindName(kind)) + " workers=" + std::to_string(workers) +
                  " policy=" + policy + " max_queue=" + std::to_string(max_queue);
  if (kind == ExecutorKind::kProcesses) {
    s += " start=" + std::string(StartMethodName(start)) + " ipc=" + std::string(IpcKindName(ipc));
    if (ipc == IpcKind::kShm) s += " spin_us=" + std::to_string(ipc_spin_us);
  }
  if (kind == ExecutorKind::kAsync) s += " offload=" + std::to_string(offload);
  if (max_batch != kModelsOwn) s += " max_batch=" + std::to_string(max_batch);
  if (batch_delay_us != kModelsOwn) s += " batch_delay_us=" + std::to_string(batch_delay_us);
  return s;
}

int ExecutorConfig::ResolvedIpcSpinUs(unsigned cores) const {
  if (ipc_spin_us != kAutoSpin) return ipc_spin_us;
  return cores >= 2u * static_cast<unsigned>(workers) + 2u ? 50 : 0;
}

}  // namespace switchyard
