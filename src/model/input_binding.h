// InputBinding: a request's named input tensors matched to a model's
// arguments, whichever protocol carries them (v2 JSON or binary over HTTP,
// gRPC): the name (the config's, or without one Triton's PyTorch convention
// <name>__<index>, model/tensor_naming.h), the datatype, the shape against
// the declared one, the element count against the request's limit, each
// input given once and every input given. Errors are InvalidArgument naming
// the input.
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

// One request's binding. Not thread-safe (one per request).
class InputBinding {
 public:
  // `specs` outlives the binding.
  InputBinding(const std::vector<TensorSpec>& specs, bool declared, const InferLimits& limits)
      : specs_(specs), declared_(declared), limits_(limits), given_(specs.size(), false) {}

  struct Bound {
    size_t index = 0;  // the argument it is
    DataType dtype = DataType::kFp32;
    std::vector<int64_t> shape;
    int64_t count = 0;  // elements
    size_t bytes = 0;   // count * the datatype's size
  };

  // Checks the input `name` of `datatype` and `shape`; on success it counts
  // as given.
  Result<Bound> Bind(const std::string& name, std::string_view datatype, std::vector<int64_t> shape);

  // Ok when every argument was bound, else InvalidArgument naming the first
  // missing one.
  Status CheckComplete() const;

 private:
  const std::vector<TensorSpec>& specs_;
  const bool declared_;
  const InferLimits limits_;
  std::vector<bool> given_;
  int64_t total_ = 0;  // elements bound so far
};

// Copies an input's raw bytes (little-endian, row-major) into `out`; a BOOL
// byte other than 0 or 1 is refused, naming the input and the element.
Status CopyRawInput(const std::string& name, DataType dtype, std::string_view bytes, std::string& out);

}  // namespace switchyard
