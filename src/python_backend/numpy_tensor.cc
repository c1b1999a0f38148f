#include "python_backend/numpy_tensor.h"

#include <optional>
#include <string>

namespace py = pybind11;

namespace switchyard::python {
namespace {

const char* NumpyName(DataType t) {
  switch (t) {
    case DataType::kFp32:
      return "float32";
    case DataType::kFp64:
      return "float64";
    case DataType::kInt32:
      return "int32";
    case DataType::kInt64:
      return "int64";
    case DataType::kBool:
      return "bool";
  }
  return "float32";
}

std::optional<DataType> DataTypeOf(const py::dtype& d) {
  for (DataType t : {DataType::kFp32, DataType::kFp64, DataType::kInt32, DataType::kInt64, DataType::kBool}) {
    if (d.equal(py::dtype(NumpyName(t)))) return t;
  }
  return std::nullopt;
}

Status Bad(const TensorSpec& spec, const std::string& what) {
  return Internal("output '" + spec.name + "': " + what);
}

}  // namespace

py::array ToNumpy(HostTensor&& t) {
  auto* bytes = new std::string(std::move(t.bytes));
  py::capsule owner(bytes, [](void* p) { delete static_cast<std::string*>(p); });
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
  return py::array(py::dtype(NumpyName(t.dtype)), shape, bytes->data(), owner);
}

Result<HostTensor> FromNumpy(const py::handle& value, const TensorSpec& spec) {
  if (!py::isinstance<py::array>(value)) {
    return Bad(spec, "infer() returned " + std::string(py::str(py::type::of(value).attr("__name__"))) +
                         ", not a numpy.ndarray");
  }
  auto array = py::reinterpret_borrow<py::array>(value);
  auto dtype = DataTypeOf(array.dtype());
  if (!dtype) {
    return Bad(spec, "dtype " + std::string(py::str(array.dtype())) +
                         " has no v2 datatype (FP32, FP64, INT32, INT64, BOOL)");
  }
  if ((array.flags() & py::array::c_style) == 0) {
    return Bad(spec, "the array is not C-contiguous (return numpy.ascontiguousarray(...))");
  }
  HostTensor t;
  t.name = spec.name;
  t.dtype = *dtype;
  t.shape.assign(array.shape(), array.shape() + array.ndim());
  if (t.dtype != spec.dtype) {
    return Bad(spec, "datatype " + std::string(DataTypeName(t.dtype)) + "; config.toml declares " +
                         std::string(DataTypeName(spec.dtype)));
  }
  bool fits = t.shape.size() == spec.shape.size();
  for (size_t i = 0; fits && i < spec.shape.size(); ++i)
    fits = spec.shape[i] == -1 || spec.shape[i] == t.shape[i];
  if (!fits) {
    return Bad(spec, "shape " + ShapeString(t.shape) + "; config.toml declares " + ShapeString(spec.shape) +
                         " (-1: any size)");
  }
  t.bytes.assign(static_cast<const char*>(array.data()), static_cast<size_t>(array.nbytes()));
  return t;
}

}  // namespace switchyard::python
