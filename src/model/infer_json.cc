#include "model/infer_json.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>


namespace switchyard {
namespace {

// simdjson's DOM: a request body carries thousands of numbers, and
// nlohmann::json (~65 MB/s, a heap node per number) spent a third of a
// MobileNet inference parsing them (bench/model_bench.cc).
using simdjson::dom::element;
using simdjson::dom::element_type;

std::string Shown(const element& v) {
  std::string shown = simdjson::minify(v);
  if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
  return shown;
}

// The field `key` of `object`, or nullopt.
std::optional<element> Field(simdjson::dom::object object, std::string_view key) {
  element e;
  if (object.at_key(key).get(e) != simdjson::SUCCESS) return std::nullopt;
  return e;
}

// Appends the values of `data` (flat or nested arrays) to `out` as `dtype`,
// expecting exactly `count` of them.
class Filler {
 public:
  Filler(const std::string& name, DataType dtype, int64_t count, std::string& out)
      : name_(name), dtype_(dtype), count_(count), out_(out) {
    out_.resize(static_cast<size_t>(count) * ElementSize(dtype));
  }

  Status Fill(const element& data) {
    Status s = Walk(data);
    if (!s.ok()) return s;
    if (written_ != count_) return Mismatch();
    return Status::Ok();
  }

 private:
  Status Walk(const element& node) {
    if (node.type() == element_type::ARRAY) {
      for (element e : simdjson::dom::array(node)) {
        Status s = Walk(e);
        if (!s.ok()) return s;
      }
      return Status::Ok();
    }
    if (written_ >= count_) return Mismatch();
    Status s = Put(node);
    if (!s.ok()) return s;
    ++written_;
    return Status::Ok();
  }

  Status Put(const element& v) {
    char* at = out_.data() + static_cast<size_t>(written_) * ElementSize(dtype_);
    switch (dtype_) {
      case DataType::kFp32:
      case DataType::kFp64: {
        double d = 0;
        switch (v.type()) {
          case element_type::DOUBLE: d = v.get_double().value_unsafe(); break;
          case element_type::INT64: d = static_cast<double>(v.get_int64().value_unsafe()); break;
          case element_type::UINT64: d = static_cast<double>(v.get_uint64().value_unsafe()); break;
          default: return Bad(v, "a number");
        }
        if (!std::isfinite(d)) return Bad(v, "a finite number");
        if (dtype_ == DataType::kFp32) {
          if (std::fabs(d) > std::numeric_limits<float>::max()) return Bad(v, "a number within FP32's range");
          float f = static_cast<float>(d);
          std::memcpy(at, &f, sizeof f);
        } else {
          std::memcpy(at, &d, sizeof d);
        }
        return Status::Ok();
      }
      case DataType::kInt32:
      case DataType::kInt64: {
        if (v.type() == element_type::UINT64) return Bad(v, "an integer within INT64's range");
        if (v.type() != element_type::INT64) return Bad(v, "an integer");
        int64_t i = v.get_int64().value_unsafe();
        if (dtype_ == DataType::kInt32) {
          if (i < INT32_MIN || i > INT32_MAX) return Bad(v, "an integer within INT32's range");
          int32_t n = static_cast<int32_t>(i);
          std::memcpy(at, &n, sizeof n);
        } else {
          std::memcpy(at, &i, sizeof i);
        }
        return Status::Ok();
      }
      case DataType::kBool:
        if (v.type() != element_type::BOOL) return Bad(v, "true or false");
        *at = v.get_bool().value_unsafe() ? 1 : 0;
        return Status::Ok();
    }
    return Internal("unknown datatype");
  }

  Status Bad(const element& v, const char* wanted) const {
    return InvalidArgument("input '" + name_ + "': element " + std::to_string(written_) + " is " + Shown(v) +
                           ", not " + wanted + " (datatype " + std::string(DataTypeName(dtype_)) + ")");
  }

  Status Mismatch() const {
    return InvalidArgument("input '" + name_ + "': its shape holds " + std::to_string(count_) +
                           " elements but data has " + (written_ >= count_ ? "more" : std::to_string(written_)));
  }

  const std::string& name_;
  DataType dtype_;
  int64_t count_;
  int64_t written_ = 0;
  std::string& out_;
};

Result<std::vector<int64_t>> ShapeOf(simdjson::dom::object in, const std::string& name) {
  auto bad = [&] { return InvalidArgument("input '" + name + "': 'shape' must be an array of integers"); };
  std::optional<element> shape_field = Field(in, "shape");
  if (!shape_field || shape_field->type() != element_type::ARRAY) return bad();
  std::vector<int64_t> shape;
  for (element d : simdjson::dom::array(*shape_field)) {
    if (d.type() != element_type::INT64) return bad();
    shape.push_back(d.get_int64().value_unsafe());
    if (shape.size() > 64) return InvalidArgument("input '" + name + "': more than 64 dimensions");
  }
  return shape;
}

// A non-negative integer parameter, or the error naming it.
Result<int64_t> NonNegative(const element& v, const std::string& what) {
  if (v.type() != element_type::INT64 || v.get_int64().value_unsafe() < 0) return InvalidArgument(what);
  return v.get_int64().value_unsafe();
}

// A boolean parameter, or the error naming it.
Result<bool> Boolean(const element& v, const std::string& what) {
  if (v.type() != element_type::BOOL) return InvalidArgument(what + " must be true or false");
  return v.get_bool().value_unsafe();
}

// The "parameters" object of `object`, if any.
Result<std::optional<simdjson::dom::object>> ParametersOf(simdjson::dom::object object, const std::string& whose) {
  std::optional<element> params = Field(object, "parameters");
  if (!params) return std::optional<simdjson::dom::object>();
  if (params->type() != element_type::OBJECT) return InvalidArgument(whose + "'parameters' must be an object");
  return std::optional<simdjson::dom::object>(simdjson::dom::object(*params));
}

}  // namespace

Result<InferRequest> ParseInferRequest(std::string_view json, std::string_view binary,
                                       const std::vector<TensorSpec>& specs, bool declared,
                                       const InferLimits& limits) {
  // One parser per thread: it keeps its buffers between requests.
  thread_local simdjson::dom::parser parser;
  element doc;
  if (parser.parse(json.data(), json.size(), /*realloc_if_needed=*/true).get(doc) != simdjson::SUCCESS) {
    return InvalidArgument(binary.empty() ? "the body is not valid JSON"
                                          : "the JSON header (the body's first Inference-Header-Content-Length "
                                            "bytes) is not valid JSON");
  }
  if (doc.type() != element_type::OBJECT) return InvalidArgument("the body must be a JSON object");
  const simdjson::dom::object root(doc);
  InferRequest req;
  if (auto id = Field(root, "id")) {
    if (id->type() != element_type::STRING) return InvalidArgument("'id' must be a string");
    req.id = std::string(id->get_string().value_unsafe());
  }
  if (auto params = Field(root, "parameters")) {
    if (params->type() != element_type::OBJECT) return InvalidArgument("'parameters' must be an object");
    if (auto p = Field(simdjson::dom::object(*params), "priority")) {
      auto v = NonNegative(*p, "parameters.priority must be a non-negative integer");
      if (!v.ok()) return v.status();
      req.priority = *v;
    }
    if (auto p = Field(simdjson::dom::object(*params), "timeout")) {
      auto v = NonNegative(*p, "parameters.timeout must be a non-negative integer (microseconds)");
      if (!v.ok()) return v.status();
      req.timeout_us = *v;
    }
    if (auto p = Field(simdjson::dom::object(*params), "binary_data_output")) {
      auto v = Boolean(*p, "parameters.binary_data_output");
      if (!v.ok()) return v.status();
      req.encoding.binary_by_default = *v;
    }
  }
  std::optional<element> inputs = Field(root, "inputs");
  if (!inputs || inputs->type() != element_type::ARRAY) return InvalidArgument("'inputs' must be an array");

  // Pass 1: names, datatypes, shapes and sizes, with no tensor memory yet.
  InputBinding binding(specs, declared, limits);
  std::vector<std::optional<element>> data_of(specs.size());
  // An input sent as binary data: its bytes, and where they sit in `binary`.
  std::vector<std::optional<std::string_view>> binary_of(specs.size());
  size_t binary_used = 0;
  std::vector<InputBinding::Bound> bound(specs.size());
  for (element in_element : simdjson::dom::array(*inputs)) {
    std::optional<element> name_field;
    if (in_element.type() == element_type::OBJECT) name_field = Field(simdjson::dom::object(in_element), "name");
    if (!name_field || name_field->type() != element_type::STRING) {
      return InvalidArgument("every input needs a string 'name'");
    }
    const simdjson::dom::object in(in_element);
    const std::string name(name_field->get_string().value_unsafe());
    std::optional<element> datatype = Field(in, "datatype");
    if (!datatype || datatype->type() != element_type::STRING) {
      return InvalidArgument("input '" + name + "': 'datatype' must be a string");
    }
    auto shape = ShapeOf(in, name);
    if (!shape.ok()) return shape.status();
    auto b = binding.Bind(name, datatype->get_string().value_unsafe(), std::move(shape).value());
    if (!b.ok()) return b.status();
    const size_t i = b->index;
    std::optional<element> data = Field(in, "data");
    auto params = ParametersOf(in, "input '" + name + "': ");
    if (!params.ok()) return params.status();
    std::optional<element> size_field;
    if (*params) size_field = Field(**params, "binary_data_size");
    if (size_field) {
      if (data) return InvalidArgument("input '" + name + "': both 'data' and parameters.binary_data_size (give one)");
      auto size = NonNegative(*size_field, "input '" + name + "': parameters.binary_data_size must be a non-negative integer");
      if (!size.ok()) return size.status();
      if (static_cast<uint64_t>(*size) != b->bytes) {
        return InvalidArgument("input '" + name + "': binary_data_size is " + std::to_string(*size) +
                               " bytes, but shape " + ShapeString(b->shape) + " of " +
                               std::string(DataTypeName(b->dtype)) + " holds " + std::to_string(b->bytes));
      }
      if (static_cast<uint64_t>(*size) > binary.size() - binary_used) {
        if (binary.empty()) {
          return InvalidArgument("input '" + name + "': binary_data_size is " + std::to_string(*size) +
                                 " but no binary data follows the JSON (send the JSON's length in the "
                                 "Inference-Header-Content-Length header and the tensors' bytes after it)");
        }
        return InvalidArgument("input '" + name + "': binary_data_size " + std::to_string(*size) +
                               " runs past the end of the body (" + std::to_string(binary.size() - binary_used) +
                               " bytes of binary data left for it)");
      }
      binary_of[i] = binary.substr(binary_used, static_cast<size_t>(*size));
      binary_used += static_cast<size_t>(*size);
    } else if (!data) {
      return InvalidArgument("input '" + name + "': 'data' is missing (or parameters.binary_data_size)");
    }
    data_of[i] = data;
    bound[i] = std::move(b).value();
  }
  if (Status complete = binding.CheckComplete(); !complete.ok()) return complete;
  if (binary_used != binary.size()) {
    return InvalidArgument("the inputs' binary_data_size add up to " + std::to_string(binary_used) + " bytes, but " +
                           std::to_string(binary.size()) + " follow the JSON header (Inference-Header-Content-Length)");
  }

  // Pass 2: the values.
  req.payload.inputs.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    HostTensor& t = req.payload.inputs[i];
    t.name = specs[i].name;
    t.dtype = bound[i].dtype;
    t.shape = std::move(bound[i].shape);
    Status filled = binary_of[i] ? CopyRawInput(t.name, t.dtype, *binary_of[i], t.bytes)
                                 : Filler(t.name, t.dtype, bound[i].count, t.bytes).Fill(*data_of[i]);
    if (!filled.ok()) return filled;
  }
  if (auto outputs = Field(root, "outputs")) {
    if (outputs->type() != element_type::ARRAY) return InvalidArgument("'outputs' must be an array");
    for (element o : simdjson::dom::array(*outputs)) {
      std::optional<element> name;
      if (o.type() == element_type::OBJECT) name = Field(simdjson::dom::object(o), "name");
      if (!name || name->type() != element_type::STRING) {
        return InvalidArgument("every requested output needs a string 'name'");
      }
      req.payload.outputs.emplace_back(name->get_string().value_unsafe());
      const std::string whose = "output '" + req.payload.outputs.back() + "': ";
      auto params = ParametersOf(simdjson::dom::object(o), whose);
      if (!params.ok()) return params.status();
      bool binary_output = req.encoding.binary_by_default;
      if (*params) {
        if (auto b = Field(**params, "binary_data")) {
          auto v = Boolean(*b, whose + "parameters.binary_data");
          if (!v.ok()) return v.status();
          binary_output = *v;
        }
        if (Field(**params, "classification")) {
          return InvalidArgument(whose + "parameters.classification (Triton's classification extension) is not served");
        }
      }
      req.encoding.binary.push_back(binary_output);
    }
  }
  return req;
}

namespace {

using nlohmann::json;

template <typename T>
void AppendValues(std::string& out, const HostTensor& t) {
  const size_t n = t.bytes.size() / sizeof(T);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, t.bytes.data() + i * sizeof(T), sizeof v);
    if (i > 0) out += ',';
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(v)) {
        out += "null";  // JSON has no NaN or infinity
        continue;
      }
    }
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

}  // namespace

RenderedOutputs RenderOutputs(const std::vector<HostTensor>& outputs, const OutputEncoding& encoding) {
  RenderedOutputs r;
  std::string& out = r.json;
  out = "[";
  for (size_t k = 0; k < outputs.size(); ++k) {
    const HostTensor& t = outputs[k];
    if (k > 0) out += ',';
    out += "{\"name\":" + json(t.name).dump() + ",\"datatype\":\"" + std::string(DataTypeName(t.dtype)) +
           "\",\"shape\":" + ShapeString(t.shape);
    if (encoding.Binary(k)) {
      r.any_binary = true;
      out += ",\"parameters\":{\"binary_data_size\":" + std::to_string(t.bytes.size()) + "}}";
      r.binary += t.bytes;
      continue;
    }
    out += ",\"data\":[";
    switch (t.dtype) {
      case DataType::kFp32: AppendValues<float>(out, t); break;
      case DataType::kFp64: AppendValues<double>(out, t); break;
      case DataType::kInt32: AppendValues<int32_t>(out, t); break;
      case DataType::kInt64: AppendValues<int64_t>(out, t); break;
      case DataType::kBool:
        for (size_t i = 0; i < t.bytes.size(); ++i) out += (i > 0 ? "," : "") + std::string(t.bytes[i] ? "true" : "false");
        break;
    }
    out += "]}";
  }
  out += "]";
  return r;
}

}  // namespace switchyard
