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
//
// The binary tensor data extension (Triton's and KServe's): an input may give
// "parameters":{"binary_data_size":N} instead of `data`; its N bytes
// (little-endian, row-major, BOOL one byte 0 or 1) follow the JSON in the
// body, in the order such inputs appear, and the JSON's own length travels
// in the Inference-Header-Content-Length header. An output asked for with
// "parameters":{"binary_data":true}, or every output under the request's
// "parameters":{"binary_data_output":true}, comes back the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/input_binding.h"
#include "model/tensor.h"

namespace switchyard {


// Which outputs the reply carries as binary data.
struct OutputEncoding {
  bool binary_by_default = false;  // parameters.binary_data_output
  // One per entry of InferPayload::outputs (the outputs asked for by name):
  // its parameters.binary_data, else binary_by_default.
  std::vector<bool> binary;

  // Whether the i-th output of the reply is binary.
  bool Binary(size_t i) const { return i < binary.size() ? binary[i] : binary_by_default; }
};

struct InferRequest {
  std::string id;        // echoed in the reply; empty when absent
  InferPayload payload;  // inputs in forward()'s argument order
  int64_t priority = 0;  // parameters.priority (0: default)
  int64_t timeout_us = 0;  // parameters.timeout (0: none)
  OutputEncoding encoding;
};

// Parses a request for a model whose inputs are `specs`, in argument order:
// `json` is the JSON object, `binary` what follows it in the body (empty
// without the binary extension). `declared` false (no config.toml): any
// datatype and shape is accepted, and an input is named by Triton's PyTorch
// convention (<name>__<index>, e.g. INPUT__0 or input__0;
// model/tensor_naming.h); declared: by the config's names. InvalidArgument
// names the input and the problem. Thread-safe.
Result<InferRequest> ParseInferRequest(std::string_view json, std::string_view binary,
                                       const std::vector<TensorSpec>& specs, bool declared,
                                       const InferLimits& limits);

// The reply's "outputs" array, and the bytes of its binary outputs in order,
// which follow the JSON in the body:
// `[{"name":...,"datatype":...,"shape":[...],"data":[...]}, ...]`, a binary
// output with "parameters":{"binary_data_size":N} in place of `data`.
// Thread-safe (pure).
struct RenderedOutputs {
  std::string json;
  std::string binary;
  bool any_binary = false;
};
RenderedOutputs RenderOutputs(const std::vector<HostTensor>& outputs, const OutputEncoding& encoding);

}  // namespace switchyard
