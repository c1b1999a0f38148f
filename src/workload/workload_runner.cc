#include "workload/workload_runner.h"

#include "core/json_quote.h"
#include "model/tensor.h"
#include "model/tensor_naming.h"

#include <algorithm>
#include <memory>
#include <chrono>
#include <cstdio>
#include <thread>

#include <spdlog/spdlog.h>

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
  out.result = JsonQuote(sha.ComputeHex(request.data, request.iters));
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
    out.result = JsonQuote(value.value());
  }
  return out;
}

namespace {

// An infer request resolved against this worker's models.
struct InferCall {
  const ServedModel* model = nullptr;
  const ModelVersion* version = nullptr;
  InferPayload payload;
};

Result<InferCall> Resolve(const ModelRepository* models, const ScoreRequest& request) {
  InferCall call;
  call.model = models != nullptr ? models->Find(request.model) : nullptr;
  if (call.model != nullptr) {
    call.version =
        call.model->Find(request.model_version > 0 ? std::optional<int64_t>(request.model_version) : std::nullopt);
  }
  if (call.version == nullptr) {
    return Status(StatusCode::kUnavailable, "model '" + request.model + "' is not loaded in this worker");
  }
  auto payload = DecodeInferPayload(request.data);
  if (!payload.ok()) return payload.status();
  call.payload = std::move(payload).value();
  return call;
}

// The outcome of `call` given what the model returned: outputs named (as the
// backend set them, else as declared, else Triton's OUTPUT__<i>), the ones
// asked for picked, encoded for the frontend to render (EncodeTensors).
ScoreOutcome Finish(const std::string& model_name, const InferCall& call, Result<std::vector<HostTensor>> outputs,
                    const InferStats& stats) {
  ScoreOutcome out;
  out.gil_wait_us = stats.gil_wait_us;
  out.gil_hold_us = stats.gil_hold_us;
  if (!outputs.ok()) {
    // The whole story (a Python traceback) for the log; the client gets the
    // status's one line.
    if (!stats.error_detail.empty()) spdlog::warn("model {}: {}", model_name, stats.error_detail);
    out.status = outputs.status();
    return out;
  }
  const std::vector<TensorSpec>& declared = call.model->config.outputs;
  for (size_t i = 0; i < outputs->size(); ++i) {
    if (!(*outputs)[i].name.empty()) continue;
    (*outputs)[i].name = i < declared.size() ? declared[i].name : "OUTPUT__" + std::to_string(i);
  }
  if (!call.payload.outputs.empty()) {
    // Without a config an output is asked for by Triton's PyTorch convention
    // (output__0 is OUTPUT__0) and answered under the name it was asked by.
    const bool by_position = !call.model->config.declared;
    std::vector<HostTensor> wanted;
    for (const std::string& name : call.payload.outputs) {
      auto it = std::find_if(outputs->begin(), outputs->end(), [&](const HostTensor& t) { return t.name == name; });
      if (by_position && it == outputs->end()) {
        const size_t index = ConventionIndex(name).value_or(outputs->size());
        if (index < outputs->size()) it = outputs->begin() + static_cast<std::ptrdiff_t>(index);
      }
      if (it == outputs->end()) {
        out.status = InvalidArgument("unknown output '" + name + "' requested");
        return out;
      }
      // A copy by position: output__0 and OUTPUT__0 may both be asked for.
      HostTensor picked = by_position ? *it : std::move(*it);
      picked.name = name;
      wanted.push_back(std::move(picked));
    }
    *outputs = std::move(wanted);
  }
  out.result = EncodeTensors(*outputs);
  return out;
}

}  // namespace

ScoreOutcome WorkloadRunner::RunInfer(const ScoreRequest& request) const {
  auto call = Resolve(models_.get(), request);
  if (!call.ok()) {
    ScoreOutcome out;
    out.status = call.status();
    return out;
  }
  InferStats stats;
  auto outputs = call->version->model->Infer(call->payload.inputs, &stats);
  return Finish(request.model, *call, std::move(outputs), stats);
}

bool WorkloadRunner::InfersOnModelLoop(const ScoreRequest& request, bool offload) const {
  if (request.mode != ScoreMode::kInfer || models_ == nullptr) return false;
  const ServedModel* model = models_->Find(request.model);
  const ModelVersion* version =
      model == nullptr ? nullptr
                       : model->Find(request.model_version > 0 ? std::optional<int64_t>(request.model_version)
                                                               : std::nullopt);
  if (version == nullptr || !version->model->needs_own_loop()) return false;
  return !offload || version->model->is_coroutine();
}

void WorkloadRunner::RunInferOnLoop(const ScoreRequest& request, size_t lane,
                                    std::function<void(Finisher)> deliver) const {
  auto call = Resolve(models_.get(), request);
  if (!call.ok()) {
    return deliver([status = call.status()] {
      ScoreOutcome out;
      out.status = status;
      return out;
    });
  }
  auto shared = std::make_shared<InferCall>(std::move(call).value());
  const LoadedModel& model = *shared->version->model;
  std::vector<HostTensor> inputs = std::move(shared->payload.inputs);
  model.InferOnLoop(lane, std::move(inputs),
                    [model_name = request.model, shared, deliver = std::move(deliver)](
                        Result<std::vector<HostTensor>> outputs, InferStats stats) {
                      auto result = std::make_shared<Result<std::vector<HostTensor>>>(std::move(outputs));
                      deliver([model_name, shared, result, stats = std::move(stats)] {
                        return Finish(model_name, *shared, std::move(*result), stats);
                      });
                    });
}

ScoreOutcome WorkloadRunner::Run(const ScoreRequest& request) {
  switch (request.mode) {
    case ScoreMode::kCpu: return RunCpu(request);
    case ScoreMode::kIo: return RunIo(request);
    case ScoreMode::kInfer: return RunInfer(request);
    case ScoreMode::kSleep: {
      std::this_thread::sleep_for(std::chrono::milliseconds(request.sleep_ms));
      ScoreOutcome out;
      out.result = std::to_string(request.sleep_ms);
      return out;
    }
  }
  ScoreOutcome out;
  out.status = Internal("unknown mode");
  return out;
}

}  // namespace switchyard
