#include "model/infer_json.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

namespace switchyard {
namespace {

using nlohmann::json;

// Appends the values of `data` (flat or nested arrays) to `out` as `dtype`,
// expecting exactly `count` of them.
class Filler {
 public:
  Filler(const std::string& name, DataType dtype, int64_t count, std::string& out)
      : name_(name), dtype_(dtype), count_(count), out_(out) {
    out_.resize(static_cast<size_t>(count) * ElementSize(dtype));
  }

  Status Fill(const json& data) {
    Status s = Walk(data);
    if (!s.ok()) return s;
    if (written_ != count_) return Mismatch();
    return Status::Ok();
  }

 private:
  Status Walk(const json& node) {
    if (node.is_array()) {
      for (const json& e : node) {
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

  Status Put(const json& v) {
    char* at = out_.data() + static_cast<size_t>(written_) * ElementSize(dtype_);
    switch (dtype_) {
      case DataType::kFp32:
      case DataType::kFp64: {
        if (!v.is_number()) return Bad(v, "a number");
        double d = v.get<double>();
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
        if (!v.is_number_integer()) return Bad(v, "an integer");
        if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
          return Bad(v, "an integer within INT64's range");
        }
        int64_t i = v.get<int64_t>();
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
        if (!v.is_boolean()) return Bad(v, "true or false");
        *at = v.get<bool>() ? 1 : 0;
        return Status::Ok();
    }
    return Internal("unknown datatype");
  }

  Status Bad(const json& v, const char* wanted) const {
    std::string shown = v.dump();
    if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
    return InvalidArgument("input '" + name_ + "': element " + std::to_string(written_) + " is " + shown + ", not " +
                           wanted + " (datatype " + std::string(DataTypeName(dtype_)) + ")");
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

Result<std::vector<int64_t>> ShapeOf(const json& in, const std::string& name) {
  if (!in.contains("shape") || !in["shape"].is_array()) {
    return InvalidArgument("input '" + name + "': 'shape' must be an array of integers");
  }
  std::vector<int64_t> shape;
  for (const json& d : in["shape"]) {
    if (!d.is_number_integer() || (d.is_number_unsigned() && d.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
      return InvalidArgument("input '" + name + "': 'shape' must be an array of integers");
    }
    shape.push_back(d.get<int64_t>());
  }
  if (shape.size() > 64) return InvalidArgument("input '" + name + "': more than 64 dimensions");
  return shape;
}

}  // namespace

Result<InferRequest> ParseInferRequest(std::string_view body, const std::vector<TensorSpec>& specs, bool declared,
                                       const InferLimits& limits) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("the body is not valid JSON");
  if (!doc.is_object()) return InvalidArgument("the body must be a JSON object");
  InferRequest req;
  if (doc.contains("id")) {
    if (!doc["id"].is_string()) return InvalidArgument("'id' must be a string");
    req.id = doc["id"].get<std::string>();
  }
  if (doc.contains("parameters")) {
    const json& p = doc["parameters"];
    if (!p.is_object()) return InvalidArgument("'parameters' must be an object");
    if (p.contains("priority")) {
      if (!p["priority"].is_number_integer() || p["priority"].get<int64_t>() < 0) {
        return InvalidArgument("parameters.priority must be a non-negative integer");
      }
      req.priority = p["priority"].get<int64_t>();
    }
    if (p.contains("timeout")) {
      if (!p["timeout"].is_number_integer() || p["timeout"].get<int64_t>() < 0) {
        return InvalidArgument("parameters.timeout must be a non-negative integer (microseconds)");
      }
      req.timeout_us = p["timeout"].get<int64_t>();
    }
  }
  if (!doc.contains("inputs") || !doc["inputs"].is_array()) return InvalidArgument("'inputs' must be an array");
  const json& inputs = doc["inputs"];

  // Pass 1: names, datatypes, shapes and sizes, with no tensor memory yet.
  std::vector<const json*> by_spec(specs.size(), nullptr);
  std::vector<int64_t> counts(specs.size(), 0);
  std::vector<DataType> dtypes(specs.size(), DataType::kFp32);
  std::vector<std::vector<int64_t>> shapes(specs.size());
  int64_t total = 0;
  for (const json& in : inputs) {
    if (!in.is_object() || !in.contains("name") || !in["name"].is_string()) {
      return InvalidArgument("every input needs a string 'name'");
    }
    const std::string name = in["name"].get<std::string>();
    size_t i = 0;
    while (i < specs.size() && specs[i].name != name) ++i;
    if (i == specs.size()) {
      std::string known;
      for (const TensorSpec& s : specs) known += (known.empty() ? "" : ", ") + s.name;
      return InvalidArgument("unknown input '" + name + "' (the model's inputs: " + known + ")");
    }
    if (by_spec[i] != nullptr) return InvalidArgument("input '" + name + "' is given twice");
    if (!in.contains("datatype") || !in["datatype"].is_string()) {
      return InvalidArgument("input '" + name + "': 'datatype' must be a string");
    }
    auto dtype = ParseDataType(in["datatype"].get<std::string>());
    if (!dtype) {
      return InvalidArgument("input '" + name + "': datatype '" + in["datatype"].get<std::string>() +
                             "' is not served (FP32, FP64, INT32, INT64, BOOL)");
    }
    auto shape = ShapeOf(in, name);
    if (!shape.ok()) return shape.status();
    auto count = ElementCount(*shape, limits.max_elements - total);
    if (!count.ok()) return InvalidArgument("input '" + name + "': " + count.status().message());
    total += *count;
    HostTensor probe;
    probe.name = name;
    probe.dtype = *dtype;
    probe.shape = *shape;
    if (declared) {
      Status accepted = specs[i].Accepts(probe);
      if (!accepted.ok()) return accepted;
    }
    if (!in.contains("data")) return InvalidArgument("input '" + name + "': 'data' is missing");
    by_spec[i] = &in;
    counts[i] = *count;
    dtypes[i] = *dtype;
    shapes[i] = std::move(*shape);
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (by_spec[i] == nullptr) return InvalidArgument("input '" + specs[i].name + "' is missing");
  }

  // Pass 2: the values.
  req.payload.inputs.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    HostTensor& t = req.payload.inputs[i];
    t.name = specs[i].name;
    t.dtype = dtypes[i];
    t.shape = std::move(shapes[i]);
    Status filled = Filler(t.name, t.dtype, counts[i], t.bytes).Fill((*by_spec[i])["data"]);
    if (!filled.ok()) return filled;
  }
  if (doc.contains("outputs")) {
    if (!doc["outputs"].is_array()) return InvalidArgument("'outputs' must be an array");
    for (const json& o : doc["outputs"]) {
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) {
        return InvalidArgument("every requested output needs a string 'name'");
      }
      req.payload.outputs.push_back(o["name"].get<std::string>());
    }
  }
  return req;
}

namespace {

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

std::string RenderOutputsJson(const std::vector<HostTensor>& outputs) {
  std::string out = "[";
  for (size_t k = 0; k < outputs.size(); ++k) {
    const HostTensor& t = outputs[k];
    if (k > 0) out += ',';
    out += "{\"name\":" + json(t.name).dump() + ",\"datatype\":\"" + std::string(DataTypeName(t.dtype)) +
           "\",\"shape\":" + ShapeString(t.shape) + ",\"data\":[";
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
  return out + "]";
}

}  // namespace switchyard
