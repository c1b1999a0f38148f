#include "workload/workload_runner.h"

#include "core/json_quote.h"
#include "model/infer_json.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

namespace switchyard {

Result<std::unique_ptr<WorkloadRunner>> WorkloadRunner::Create(const WorkloadConfig& config) {
  std::unique_ptr<WorkloadRunner> runner(new WorkloadRunner());
  runner->models_ = config.models;
  if (!config.db_path.empty()) {
    auto kv = KvReader::Open(config.db_path);
    if (!kv.ok()) return kv.status();
    runner->kv_ = std::move(kv).value();
  }
  return runner;
}

ScoreOutcome RunCpuScore(Sha256Chain& sha, const ScoreRequest& request) {
  ScoreOutcome out;
  out.result_json = JsonQuote(sha.ComputeHex(request.data, request.iters));
  return out;
}

ScoreOutcome WorkloadRunner::RunCpu(const ScoreRequest& request) { return RunCpuScore(sha_, request); }

ScoreOutcome WorkloadRunner::RunIo(const ScoreRequest& request) {
  ScoreOutcome out;
  if (kv_ == nullptr) {
    out.status = Status(StatusCode::kNotImplemented,
                        "mode io is unavailable: the server was started without --db");
    return out;
  }
  auto value = kv_->Get(request.key);
  if (!value.ok()) {
    out.status = value.status();
  } else {
    out.result_json = JsonQuote(value.value());
  }
  return out;
}

ScoreOutcome WorkloadRunner::RunInfer(const ScoreRequest& request) const {
  ScoreOutcome out;
  const ServedModel* model = models_ ? models_->Find(request.model) : nullptr;
  const ModelVersion* version = nullptr;
  if (model != nullptr) {
    version = model->Find(request.model_version > 0 ? std::optional<int64_t>(request.model_version) : std::nullopt);
  }
  if (version == nullptr) {
    out.status = Status(StatusCode::kUnavailable, "model '" + request.model + "' is not loaded in this worker");
    return out;
  }
  auto payload = DecodeInferPayload(request.data);
  if (!payload.ok()) {
    out.status = payload.status();
    return out;
  }
  auto outputs = version->model->Infer(payload->inputs);
  if (!outputs.ok()) {
    out.status = outputs.status();
    return out;
  }
  // Names: as declared, else Triton's OUTPUT__<i>.
  for (size_t i = 0; i < outputs->size(); ++i) {
    (*outputs)[i].name = i < model->config.outputs.size() ? model->config.outputs[i].name : "OUTPUT__" + std::to_string(i);
  }
  if (!payload->outputs.empty()) {
    std::vector<HostTensor> wanted;
    for (const std::string& name : payload->outputs) {
      auto it = std::find_if(outputs->begin(), outputs->end(), [&](const HostTensor& t) { return t.name == name; });
      if (it == outputs->end()) {
        out.status = InvalidArgument("unknown output '" + name + "' requested");
        return out;
      }
      wanted.push_back(std::move(*it));
    }
    *outputs = std::move(wanted);
  }
  out.result_json = RenderOutputsJson(*outputs);
  return out;
}

ScoreOutcome WorkloadRunner::Run(const ScoreRequest& request) {
  switch (request.mode) {
    case ScoreMode::kCpu: return RunCpu(request);
    case ScoreMode::kIo: return RunIo(request);
    case ScoreMode::kInfer: return RunInfer(request);
    case ScoreMode::kSleep: {
      std::this_thread::sleep_for(std::chrono::milliseconds(request.sleep_ms));
      ScoreOutcome out;
      out.result_json = std::to_string(request.sleep_ms);
      return out;
    }
  }
  ScoreOutcome out;
  out.status = Internal("unknown mode");
  return out;
}

}  // namespace switchyard
