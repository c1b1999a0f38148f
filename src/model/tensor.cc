#include "model/tensor.h"

#include <cstring>

namespace switchyard {

std::string_view DataTypeName(DataType t) {
  switch (t) {
    case DataType::kFp32: return "FP32";
    case DataType::kFp64: return "FP64";
    case DataType::kInt32: return "INT32";
    case DataType::kInt64: return "INT64";
    case DataType::kBool: return "BOOL";
  }
  return "?";
}

std::optional<DataType> ParseDataType(std::string_view name) {
  for (DataType t : {DataType::kFp32, DataType::kFp64, DataType::kInt32, DataType::kInt64, DataType::kBool}) {
    if (DataTypeName(t) == name) return t;
  }
  return std::nullopt;
}

size_t ElementSize(DataType t) {
  switch (t) {
    case DataType::kFp32: return 4;
    case DataType::kFp64: return 8;
    case DataType::kInt32: return 4;
    case DataType::kInt64: return 8;
    case DataType::kBool: return 1;
  }
  return 1;
}

Result<int64_t> ElementCount(const std::vector<int64_t>& shape, int64_t max_elements) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument("shape " + ShapeString(shape) + " has a negative dimension");
    // Checked before multiplying: a huge shape must not overflow into a small product.
    if (d != 0 && n > max_elements / d) {
      return InvalidArgument("shape " + ShapeString(shape) + " has more than " + std::to_string(max_elements) +
                             " elements (--max-tensor-elements)");
    }
    n *= d;
  }
  return n;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

Status TensorSpec::Accepts(const HostTensor& t) const {
  if (t.dtype != dtype) {
    return InvalidArgument("input '" + name + "' must be " + std::string(DataTypeName(dtype)) + ", not " +
                           std::string(DataTypeName(t.dtype)));
  }
  bool fits = t.shape.size() == shape.size();
  for (size_t i = 0; fits && i < shape.size(); ++i) fits = shape[i] == -1 || shape[i] == t.shape[i];
  if (!fits) {
    return InvalidArgument("input '" + name + "' has shape " + ShapeString(t.shape) + "; the model expects " +
                           ShapeString(shape) + " (-1: any size)");
  }
  return Status::Ok();
}

namespace {

// Little helpers for a length-prefixed byte format (host byte order: both
// ends are the same binary on the same machine).
void PutU64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
void PutBytes(std::string& out, std::string_view b) {
  PutU64(out, b.size());
  out.append(b);
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool U64(uint64_t& v) {
    if (b_.size() < sizeof v) return false;
    std::memcpy(&v, b_.data(), sizeof v);
    b_.remove_prefix(sizeof v);
    return true;
  }
  bool Bytes(std::string& out, uint64_t max) {
    uint64_t n;
    if (!U64(n) || n > max || n > b_.size()) return false;
    out.assign(b_.data(), n);
    b_.remove_prefix(n);
    return true;
  }
  bool empty() const { return b_.empty(); }

 private:
  std::string_view b_;
};

constexpr uint64_t kMagic = 0x53595946'4e494e31ULL;  // "SYIFNIN1"
constexpr uint64_t kMaxTensors = 1024;
constexpr uint64_t kMaxName = 4096;
constexpr uint64_t kMaxRank = 64;

}  // namespace

namespace {

constexpr uint64_t kTensorsMagic = 0x53595946'54454e31ULL;  // "SYIFTEN1"

void PutTensors(std::string& out, const std::vector<HostTensor>& tensors) {
  PutU64(out, tensors.size());
  for (const HostTensor& t : tensors) {
    PutBytes(out, t.name);
    PutU64(out, static_cast<uint64_t>(t.dtype));
    PutU64(out, t.shape.size());
    for (int64_t d : t.shape) PutU64(out, static_cast<uint64_t>(d));
    PutBytes(out, t.bytes);
  }
}

size_t EncodedSize(const std::vector<HostTensor>& tensors) {
  size_t size = 64;
  for (const HostTensor& t : tensors) size += t.bytes.size() + t.name.size() + 16 + 8 * t.shape.size() + 32;
  return size;
}

bool ReadTensors(Reader& r, size_t total_bytes, std::vector<HostTensor>& tensors) {
  uint64_t n;
  if (!r.U64(n) || n > kMaxTensors) return false;
  tensors.resize(n);
  for (HostTensor& t : tensors) {
    uint64_t dtype, rank;
    if (!r.Bytes(t.name, kMaxName) || !r.U64(dtype) || dtype > static_cast<uint64_t>(DataType::kBool) ||
        !r.U64(rank) || rank > kMaxRank) {
      return false;
    }
    t.dtype = static_cast<DataType>(dtype);
    t.shape.resize(rank);
    for (int64_t& d : t.shape) {
      uint64_t v;
      if (!r.U64(v)) return false;
      d = static_cast<int64_t>(v);
    }
    if (!r.Bytes(t.bytes, total_bytes)) return false;
    auto count = ElementCount(t.shape, INT64_MAX / 8);
    if (!count.ok() || static_cast<uint64_t>(*count) * ElementSize(t.dtype) != t.bytes.size()) return false;
  }
  return true;
}

}  // namespace

std::string EncodeInferPayload(const InferPayload& payload) {
  std::string out;
  out.reserve(EncodedSize(payload.inputs));
  PutU64(out, kMagic);
  PutTensors(out, payload.inputs);
  PutU64(out, payload.outputs.size());
  for (const std::string& o : payload.outputs) PutBytes(out, o);
  return out;
}

Result<InferPayload> DecodeInferPayload(std::string_view bytes) {
  Reader r(bytes);
  auto bad = [] { return InvalidArgument("corrupt inference payload"); };
  uint64_t magic, n;
  InferPayload p;
  if (!r.U64(magic) || magic != kMagic || !ReadTensors(r, bytes.size(), p.inputs)) return bad();
  if (!r.U64(n) || n > kMaxTensors) return bad();
  p.outputs.resize(n);
  for (std::string& o : p.outputs) {
    if (!r.Bytes(o, kMaxName)) return bad();
  }
  if (!r.empty()) return bad();
  return p;
}

std::string EncodeTensors(const std::vector<HostTensor>& tensors) {
  std::string out;
  out.reserve(EncodedSize(tensors));
  PutU64(out, kTensorsMagic);
  PutTensors(out, tensors);
  return out;
}

Result<std::vector<HostTensor>> DecodeTensors(std::string_view bytes) {
  Reader r(bytes);
  uint64_t magic;
  std::vector<HostTensor> tensors;
  if (!r.U64(magic) || magic != kTensorsMagic || !ReadTensors(r, bytes.size(), tensors) || !r.empty()) {
    return InvalidArgument("corrupt output tensors");
  }
  return tensors;
}

}  // namespace switchyard
