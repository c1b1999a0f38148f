// Model serving without HTTP: what one inference costs in this process, and
// what the Open Inference Protocol adds around it.
//
//   BM_Infer/<model>/threads:T  one forward() on one intra-op thread, the
//                            input the load generator sends (infer mix kind),
//                            in T threads at once: T=1 is the "single-thread
//                            in-process inference rate" the serving-efficiency
//                            figure divides by
//   BM_ParseInferRequest     JSON body of a 1x3x32x32 FP32 request -> checked
//                            host tensors (the server's frontend)
//   BM_ParseInferRequestBinary  the same request with its tensor as binary
//                            data (the v2 binary extension, infer kind binary=1)
//   BM_PayloadRoundTrip      tensors -> IPC payload -> tensors (frontend and
//                            worker)
//   BM_RenderInferReply/B    MobileNet's 1x10 output (as a worker returns it)
//                            -> the reply; B=1: the output as binary data
//
// Models come from $SWITCHYARD_MODELS (default: models/, made by
// scripts/export_models.py); a model that is missing is skipped with a note.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

#include "loadgen/request_mix.h"
#include "model/infer_json.h"
#include "model/model_backend.h"
#include "model/model_repository.h"
#include "server/v2_api.h"

namespace {

using namespace switchyard;

struct ModelCase {
  const char* name;
  const char* mix;  // what the load generator sends
};

constexpr ModelCase kModels[] = {
    {"mobilenet_v2", "infer:model=mobilenet_v2:shape=1x3x32x32"},
    {"lstm_forecaster", "infer:model=lstm_forecaster:shape=1x336x7"},
    {"distilbert_like", "infer:model=distilbert_like:shape=1x128:datatype=INT64:max=30522"},
};

std::string ModelsDir() {
  const char* dir = std::getenv("SWITCHYARD_MODELS");
  return dir != nullptr && *dir != '\0' ? dir : "models";
}

// The parsed request exactly as the server would hand it to a worker.
Result<InferRequest> RequestFor(const ModelCase& c, const ServedModel& model) {
  auto mix = RequestMix::Parse(c.mix);
  if (!mix.ok()) return mix.status();
  std::mt19937_64 rng(1);
  const ModelVersion* v = model.Find(std::nullopt);
  if (v == nullptr) return Unavailable(std::string(c.name) + " is not ready");
  return ParseInferRequest(mix->Body(0, rng), {}, model.InputSpecs(*v), model.config.declared, InferLimits{});
}

void BM_Infer(benchmark::State& state) {
  const ModelCase& c = kModels[state.range(0)];
  state.SetLabel(c.name);
  static auto repo = ModelRepository::Load(ModelsDir());
  if (!repo.ok()) {
    state.SkipWithError(repo.status().ToString().c_str());
    return;
  }
  const ServedModel* model = (*repo)->Find(c.name);
  if (model == nullptr || !model->ready()) {
    state.SkipWithError((std::string(c.name) + " not found or not ready in " + ModelsDir()).c_str());
    return;
  }
  (*repo)->SetIntraOpThreads(1);
  auto request = RequestFor(c, *model);
  if (!request.ok()) {
    state.SkipWithError(request.status().ToString().c_str());
    return;
  }
  const LoadedModel& loaded = *model->Find(std::nullopt)->model;
  for (auto _ : state) {
    std::vector<HostTensor> inputs = request->payload.inputs;  // Infer uses its inputs in place
    auto out = loaded.Infer(inputs);
    if (!out.ok()) {
      state.SkipWithError(out.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
// threads:1 is the single-thread rate; threads:2 runs two inferences at once,
// as two workers do, and shows what the machine gives when both cores (and
// the caches and memory bandwidth they share) are busy.
// (Run with --benchmark_min_time=2 or more: distilbert takes ~150 ms.)
BENCHMARK(BM_Infer)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond)->UseRealTime()->Threads(1)->Threads(2);

TensorSpec MobilenetSpec() { return {"INPUT__0", DataType::kFp32, {-1, 3, 32, 32}}; }

std::string MobilenetBody() {
  std::mt19937_64 rng(1);
  return RequestMix::Parse(kModels[0].mix)->Body(0, rng);
}

void BM_ParseInferRequest(benchmark::State& state) {
  const std::string body = MobilenetBody();
  const std::vector<TensorSpec> specs = {MobilenetSpec()};
  for (auto _ : state) {
    auto r = ParseInferRequest(body, {}, specs, /*declared=*/true, InferLimits{});
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParseInferRequest)->Unit(benchmark::kMicrosecond);

void BM_ParseInferRequestBinary(benchmark::State& state) {
  auto mix = RequestMix::Parse(std::string(kModels[0].mix) + ":binary=1");
  std::mt19937_64 rng(1);
  const std::string body = mix->Body(0, rng);
  // "Inference-Header-Content-Length: N\r\n", as the load generator sends it.
  const std::string& header = mix->Headers(0);
  const size_t json_length = std::stoul(header.substr(header.find(':') + 1));
  const std::string_view json = std::string_view(body).substr(0, json_length);
  const std::string_view binary = std::string_view(body).substr(json_length);
  const std::vector<TensorSpec> specs = {MobilenetSpec()};
  for (auto _ : state) {
    auto r = ParseInferRequest(json, binary, specs, /*declared=*/true, InferLimits{});
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParseInferRequestBinary)->Unit(benchmark::kMicrosecond);

void BM_PayloadRoundTrip(benchmark::State& state) {
  auto r = ParseInferRequest(MobilenetBody(), {}, {MobilenetSpec()}, true, InferLimits{});
  for (auto _ : state) {
    std::string bytes = EncodeInferPayload(r->payload);
    auto back = DecodeInferPayload(bytes);
    benchmark::DoNotOptimize(back);
  }
}
BENCHMARK(BM_PayloadRoundTrip)->Unit(benchmark::kMicrosecond);

void BM_RenderInferReply(benchmark::State& state) {
  HostTensor out;
  out.name = "OUTPUT__0";
  out.shape = {1, 10};
  std::vector<float> logits = {-1.9452538f, -0.3883506f, -1.5650f, 2.25f, 0.125f, 3.5e-3f, -7.25f, 1.0f, 0.5f, 4.75f};
  out.bytes.assign(reinterpret_cast<const char*>(logits.data()), logits.size() * sizeof(float));
  V2Api::Prepared p;
  p.model_name = "mobilenet_v2";
  p.model_version = 1;
  p.encoding.binary_by_default = state.range(0) != 0;
  const std::string tensors = EncodeTensors({out});
  for (auto _ : state) {
    HttpReply reply = V2Api::RenderInferReply(p, tensors);
    benchmark::DoNotOptimize(reply);
  }
  state.SetLabel(state.range(0) != 0 ? "binary" : "json");
}
BENCHMARK(BM_RenderInferReply)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
