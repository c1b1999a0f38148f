// The Open Inference Protocol's JSON tensors (KServe v2, as Triton speaks
// it): an infer request's inputs parsed and checked into host tensors, and
// output tensors rendered back.
//
//   {"id":"42",
//    "inputs":[{"name":"INPUT__0","shape":[1,3,32,32],"datatype":"FP32","data":[...]}],
//    "outputs":[{"name":"OUTPUT__0"}],                      optional
//    "parameters":{"priority":1,"timeout":250000}}          optional (timeout in µs)
//
// `data` is the tensor flattened in row-major order (nested arrays are
// flattened too). Everything is checked before any tensor memory is
// allocated: names, datatypes, shapes, the element count against a limit,
// then each value's type and range.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/tensor.h"

namespace switchyard {

struct InferLimits {
  int64_t max_elements = 16 * 1024 * 1024;  // per request, all inputs together
};

struct InferRequest {
  std::string id;        // echoed in the reply; empty when absent
  InferPayload payload;  // inputs in forward()'s argument order
  int64_t priority = 0;  // parameters.priority (0: default)
  int64_t timeout_us = 0;  // parameters.timeout (0: none)
};

// Parses `body` for a model whose inputs are `specs`, in argument order.
// `declared` false (no config.toml): any datatype and shape is accepted, and
// an input is named by Triton's PyTorch convention (<name>__<index>, e.g.
// INPUT__0 or input__0; model/tensor_naming.h); declared: by the config's
// names. InvalidArgument names the input and the problem.
Result<InferRequest> ParseInferRequest(std::string_view body, const std::vector<TensorSpec>& specs, bool declared,
                                       const InferLimits& limits);

// `[{"name":...,"datatype":...,"shape":[...],"data":[...]}, ...]`.
// Thread-safe (pure).
std::string RenderOutputsJson(const std::vector<HostTensor>& outputs);

}  // namespace switchyard
