// Tensors as they travel between the HTTP frontend, the IPC channels and the
// model: a name, a datatype, a shape and the raw little-endian bytes. No
// LibTorch here, so the frontend and the process executor need none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace switchyard {

// The Open Inference Protocol datatypes switchyard serves.
enum class DataType : uint8_t { kFp32, kFp64, kInt32, kInt64, kBool };

std::string_view DataTypeName(DataType t);        // "FP32", ...
std::optional<DataType> ParseDataType(std::string_view name);
size_t ElementSize(DataType t);

// A plain value. `bytes` holds ElementCount(shape) * ElementSize(dtype) bytes.
struct HostTensor {
  std::string name;
  DataType dtype = DataType::kFp32;
  std::vector<int64_t> shape;
  std::string bytes;
};

// The product of `shape`, or InvalidArgument for a negative dimension or a
// product above `max_elements`.
Result<int64_t> ElementCount(const std::vector<int64_t>& shape, int64_t max_elements);

// "[1,3,32,32]".
std::string ShapeString(const std::vector<int64_t>& shape);

// What a model declares about one input or output; -1 in `shape` is a
// variable dimension.
struct TensorSpec {
  std::string name;
  DataType dtype = DataType::kFp32;
  std::vector<int64_t> shape;

  // Ok when `t` has this spec's datatype and a shape that matches it.
  Status Accepts(const HostTensor& t) const;
};

// Input tensors (and the outputs wanted) bound for one model, encoded into
// one byte string for the IPC channels: a worker process decodes what the
// frontend encoded. Decode validates every length (the bytes came from
// another process).
struct InferPayload {
  std::vector<HostTensor> inputs;
  std::vector<std::string> outputs;  // requested output names; empty: all
};
std::string EncodeInferPayload(const InferPayload& payload);
Result<InferPayload> DecodeInferPayload(std::string_view bytes);

// A list of tensors alone (a model's outputs, as a worker returns them) in
// the same byte format; Decode validates every length.
std::string EncodeTensors(const std::vector<HostTensor>& tensors);
Result<std::vector<HostTensor>> DecodeTensors(std::string_view bytes);

}  // namespace switchyard
