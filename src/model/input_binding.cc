#include "model/input_binding.h"

#include <algorithm>
#include <bit>

#include "model/tensor_naming.h"

namespace switchyard {

// Raw tensor bytes are little-endian, and tensors are kept in the host's
// order.
static_assert(std::endian::native == std::endian::little, "raw tensors are copied as they come");

Result<InputBinding::Bound> InputBinding::Bind(const std::string& name, std::string_view datatype,
                                               std::vector<int64_t> shape) {
  size_t i = 0;
  if (declared_) {
    while (i < specs_.size() && specs_[i].name != name) ++i;
  } else {
    // Triton's PyTorch convention (model/tensor_naming.h): the index names it.
    i = std::min(ConventionIndex(name).value_or(specs_.size()), specs_.size());
  }
  if (i == specs_.size()) {
    std::string known;
    for (const TensorSpec& s : specs_) known += (known.empty() ? "" : ", ") + s.name;
    if (declared_) return InvalidArgument("unknown input '" + name + "' (the model's inputs: " + known + ")");
    return InvalidArgument("unknown input '" + name + "': without a config.toml the model's " +
                           std::to_string(specs_.size()) + " input(s) are named <name>__<index>, " +
                           "Triton's PyTorch convention (" + known + ")");
  }
  if (given_[i]) return InvalidArgument("input '" + name + "' is given twice");
  auto dtype = ParseDataType(datatype);
  if (!dtype) {
    return InvalidArgument("input '" + name + "': datatype '" + std::string(datatype) +
                           "' is not served (FP32, FP64, INT32, INT64, BOOL)");
  }
  if (shape.size() > 64) return InvalidArgument("input '" + name + "': more than 64 dimensions");
  auto count = ElementCount(shape, limits_.max_elements - total_);
  if (!count.ok()) return InvalidArgument("input '" + name + "': " + count.status().message());
  Bound b;
  b.index = i;
  b.dtype = *dtype;
  b.count = *count;
  b.bytes = static_cast<size_t>(*count) * ElementSize(*dtype);
  if (declared_) {
    HostTensor probe;
    probe.name = name;
    probe.dtype = *dtype;
    probe.shape = shape;
    Status accepted = specs_[i].Accepts(probe);
    if (!accepted.ok()) return accepted;
  }
  b.shape = std::move(shape);
  total_ += *count;
  given_[i] = true;
  return b;
}

Status InputBinding::CheckComplete() const {
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (!given_[i]) return InvalidArgument("input '" + specs_[i].name + "' is missing");
  }
  return Status::Ok();
}

Status CopyRawInput(const std::string& name, DataType dtype, std::string_view bytes, std::string& out) {
  if (dtype == DataType::kBool) {
    for (size_t k = 0; k < bytes.size(); ++k) {
      const auto b = static_cast<unsigned char>(bytes[k]);
      if (b > 1) {
        return InvalidArgument("input '" + name + "': element " + std::to_string(k) + " is the byte " +
                               std::to_string(b) + ", not 0 or 1 (datatype BOOL in binary)");
      }
    }
  }
  out.assign(bytes.data(), bytes.size());
  return Status::Ok();
}

}  // namespace switchyard
