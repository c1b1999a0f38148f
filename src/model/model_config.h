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
//
// Inputs are passed to forward() in the order listed. Without a config a
// model is served as Triton's PyTorch backend names tensors: INPUT__0,
// INPUT__1, ... in argument order, OUTPUT__0, ...; shapes and datatypes are
// taken from the request.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "model/tensor.h"

namespace switchyard {

struct ModelConfig {
  bool declared = false;  // a config.toml was read
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

// Reads `path`; every problem names the file, line and key.
Result<ModelConfig> LoadModelConfig(const std::string& path);

}  // namespace switchyard
