// ModelConfig: what a model's optional config.toml says about its tensors.
//
//   [[input]]
//   name = "pixels"
//   datatype = "FP32"        # FP32 | FP64 | INT32 | INT64 | BOOL
//   shape = [-1, 3, 32, 32]  # -1: any size
//   [[output]]
//   name = "logits"
//   datatype = "FP32"
//   shape = [-1, 10]
//   [parameters]             # optional, any keys: handed to a Python model
//   n = 512
//
// Batching, as Triton's model configuration names it (top-level keys, so
// before any [[table]] in the file):
//   max_batch_size = 8       # a request's first dimension is its batch: 1..8
//   [dynamic_batching]       # queued requests are stacked into one inference
//   preferred_batch_sizes = [4, 8]  # sizes worth waiting for (default: max)
//   max_queue_delay_us = 2000       # the longest a batch waits to fill [0]
// With max_batch_size every input's and output's first dimension must be -1
// (the batch dimension).
//
// Inputs are passed to forward() in the order listed. Without a config a
// model is served as Triton's PyTorch backend names tensors: INPUT__0,
// INPUT__1, ... in argument order, OUTPUT__0, ...; shapes and datatypes are
// taken from the request. A Python model needs a config: its infer() takes
// and returns tensors by name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/request.h"
#include "core/status.h"
#include "model/tensor.h"

namespace switchyard {

struct ModelConfig {
  bool declared = false;  // a config.toml was read
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  std::string parameters_json = "{}";  // [parameters] as a JSON object
  int64_t max_batch_size = 0;          // 0: the first dimension is not a batch
  // [dynamic_batching]; null: every request runs alone.
  std::shared_ptr<const BatchRules> dynamic_batching;
};

// Reads `path`; every problem names the file, line and key.
Result<ModelConfig> LoadModelConfig(const std::string& path);

// What a Python model's __init__ gets as `config`, as JSON: {"name",
// "version", "inputs": [{"name", "datatype", "shape"}], "outputs": [...],
// "parameters": {...}}.
std::string ModelConfigJson(const std::string& name, int64_t version, const ModelConfig& config);

}  // namespace switchyard
