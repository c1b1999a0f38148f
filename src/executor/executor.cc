#include "executor/executor.h"

#include "executor/config_keys.h"
#include "policy/policy.h"

namespace switchyard {

Result<std::unique_ptr<Executor>> CreateExecutor(const ExecutorConfig& config, ExecutorEnv& env) {
  Status valid = ValidateExecutorConfig(config);
  if (!valid.ok()) return valid;
  switch (config.kind) {
    case ExecutorKind::kThreads:
      return CreateThreadExecutor(config, env);
    case ExecutorKind::kAsync:
      return CreateAsyncExecutor(config, env);
    case ExecutorKind::kProcesses:
      return CreateProcessExecutor(config, env);
  }
  return InvalidArgument("unknown executor");
}

}  // namespace switchyard
