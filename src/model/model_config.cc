#include "model/model_config.h"

#include <memory>

#include "config/toml_reader.h"
#include "core/json_quote.h"

namespace switchyard {
namespace {

Result<std::vector<TensorSpec>> Specs(const TomlTable& root, std::string_view key) {
  auto tables = root.Tables(key);
  if (!tables.ok()) return tables.status();
  std::vector<TensorSpec> specs;
  for (const TomlTable& t : *tables) {
    Status known = t.CheckKeys({"name", "datatype", "shape"});
    if (!known.ok()) return known;
    TensorSpec s;
    auto name = t.String("name");
    if (!name.ok()) return name.status();
    s.name = *name;
    for (const TensorSpec& other : specs) {
      if (other.name == s.name) return t.Error("name", "'" + s.name + "' names two tensors");
    }
    auto dtype = t.String("datatype");
    if (!dtype.ok()) return dtype.status();
    auto parsed = ParseDataType(*dtype);
    if (!parsed) return t.Error("datatype", "'" + *dtype + "' is not one of FP32, FP64, INT32, INT64, BOOL");
    s.dtype = *parsed;
    auto shape = t.OptIntList("shape", -1, INT32_MAX);
    if (!shape.ok()) return shape.status();
    if (!*shape) return t.Error("shape", "missing (e.g. shape = [-1, 3, 32, 32])");
    for (int64_t d : **shape) {
      if (d == 0) return t.Error("shape", "a dimension of 0 holds no data");
    }
    s.shape = **shape;
    specs.push_back(std::move(s));
  }
  return specs;
}

constexpr int64_t kMaxBatchSize = 4096;

Status ReadBatching(const TomlTable& root, ModelConfig& config) {
  auto max = root.OptInt("max_batch_size", 0, kMaxBatchSize);
  if (!max.ok()) return max.status();
  auto table = root.Table("dynamic_batching");
  if (!table.ok()) return table.status();
  if (!*max) {
    if (*table) return root.Error("dynamic_batching", "needs max_batch_size (the most rows one inference takes)");
    return Status::Ok();
  }
  if (**max == 0) {
    return root.Error("max_batch_size", "0 would mean the model does not batch: leave the key out instead");
  }
  config.max_batch_size = **max;
  // The model's limit: a first dimension the config fixes cannot take a
  // batch of any other size.
  for (const auto* specs : {&config.inputs, &config.outputs}) {
    for (const TensorSpec& s : *specs) {
      if (s.shape.empty() || s.shape[0] != -1) {
        return root.Error("max_batch_size",
                          std::to_string(**max) + " is beyond what '" + s.name + "' takes: with batching every "
                          "input's and output's first dimension is the batch, so its shape must start with -1 "
                          "(it is " + ShapeString(s.shape) + ")");
      }
    }
  }
  if (!*table) return Status::Ok();
  const TomlTable& t = **table;
  Status known = t.CheckKeys({"preferred_batch_sizes", "max_queue_delay_us"});
  if (!known.ok()) return known;
  auto rules = std::make_shared<BatchRules>();
  rules->max_rows = **max;
  auto preferred = t.OptIntList("preferred_batch_sizes", 1, **max);
  if (!preferred.ok()) return preferred.status();
  if (*preferred) rules->preferred_rows = **preferred;
  auto delay = t.OptInt("max_queue_delay_us", 0, 10'000'000);
  if (!delay.ok()) return delay.status();
  if (*delay) rules->max_queue_delay_us = **delay;
  config.dynamic_batching = std::move(rules);
  return Status::Ok();
}

}  // namespace

Result<ModelConfig> LoadModelConfig(const std::string& path) {
  auto doc = TomlDocument::Load(path);
  if (!doc.ok()) return doc.status();
  TomlTable root = doc.value()->root();
  Status known = root.CheckKeys({"input", "output", "parameters", "max_batch_size", "dynamic_batching"});
  if (!known.ok()) return known;
  ModelConfig config;
  config.declared = true;
  auto inputs = Specs(root, "input");
  if (!inputs.ok()) return inputs.status();
  if (inputs->empty()) return root.Error("input", "missing: declare at least one [[input]]");
  config.inputs = std::move(inputs).value();
  auto outputs = Specs(root, "output");
  if (!outputs.ok()) return outputs.status();
  config.outputs = std::move(outputs).value();
  auto parameters = root.Table("parameters");
  if (!parameters.ok()) return parameters.status();
  if (*parameters) config.parameters_json = (*parameters)->ToJson();
  Status batching = ReadBatching(root, config);
  if (!batching.ok()) return batching;
  return config;
}

namespace {

std::string SpecsJson(const std::vector<TensorSpec>& specs) {
  std::string out = "[";
  for (const TensorSpec& s : specs) {
    if (out.size() > 1) out += ',';
    out += "{\"name\":" + JsonQuote(s.name) + ",\"datatype\":\"" + std::string(DataTypeName(s.dtype)) +
           "\",\"shape\":" + ShapeString(s.shape) + "}";
  }
  return out + "]";
}

}  // namespace

std::string ModelConfigJson(const std::string& name, int64_t version, const ModelConfig& config) {
  return "{\"name\":" + JsonQuote(name) + ",\"version\":" + std::to_string(version) +
         ",\"inputs\":" + SpecsJson(config.inputs) + ",\"outputs\":" + SpecsJson(config.outputs) +
         ",\"parameters\":" + config.parameters_json + "}";
}

}  // namespace switchyard
