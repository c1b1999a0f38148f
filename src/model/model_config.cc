#include "model/model_config.h"

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

}  // namespace

Result<ModelConfig> LoadModelConfig(const std::string& path) {
  auto doc = TomlDocument::Load(path);
  if (!doc.ok()) return doc.status();
  TomlTable root = doc.value()->root();
  Status known = root.CheckKeys({"input", "output", "parameters"});
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
