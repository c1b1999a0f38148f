#include "python_backend/python_model.h"

#include <pybind11/stl.h>

#include "python_backend/gil_meter.h"
#include "python_backend/interpreter.h"
#include "python_backend/numpy_tensor.h"

namespace py = pybind11;

namespace switchyard::python {
namespace {

// A module name of its own per model version, so two models' files may both
// be called model.py.
std::string ModuleName(const ModelSource& source) {
  std::string name = "switchyard_model_";
  for (char c : source.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name + "_v" + std::to_string(source.version);
}

Result<std::vector<TensorSpec>> OutputSpecs(const py::dict& config) {
  std::vector<TensorSpec> specs;
  for (const py::handle& o : config["outputs"]) {
    TensorSpec s;
    s.name = o["name"].cast<std::string>();
    auto dtype = ParseDataType(o["datatype"].cast<std::string>());
    if (!dtype) return Internal("bad datatype in the model's config");
    s.dtype = *dtype;
    s.shape = o["shape"].cast<std::vector<int64_t>>();
    specs.push_back(std::move(s));
  }
  return specs;
}

std::string TypeName(const py::handle& value) { return py::str(py::type::of(value).attr("__name__")); }

}  // namespace

Result<std::unique_ptr<LoadedModel>> PythonModel::Load(const ModelSource& source, std::string* detail) {
  Status ready = EnsureInterpreter();
  if (!ready.ok()) return ready;
  InterpreterGil gil;
  try {
    std::unique_ptr<PythonModel> model(new PythonModel());
    py::tuple loaded = Glue("load_model")(source.path, ModuleName(source), source.config_json);
    model->model_ = loaded[0];
    model->infer_ = model->model_.attr("infer");
    model->is_async_ = loaded[1].cast<bool>();
    model->input_count_ = source.declared_inputs;
    auto outputs = OutputSpecs(py::module_::import("json").attr("loads")(source.config_json));
    if (!outputs.ok()) return outputs.status();
    model->outputs_ = std::move(outputs).value();
    return std::unique_ptr<LoadedModel>(std::move(model));
  } catch (py::error_already_set& e) {
    if (detail != nullptr) *detail = ExceptionTraceback(e);
    return InvalidArgument("'" + source.path + "': " + ExceptionLine(e));
  } catch (const std::exception& e) {  // pybind11's cast errors: never out of the module
    return InvalidArgument("'" + source.path + "': " + e.what());
  }
}

PythonModel::~PythonModel() {
  // Python objects are released with the GIL held (a model is destroyed only
  // when its repository is, after the workers have stopped).
  InterpreterGil gil;
  infer_ = py::object();
  model_ = py::object();
}

Result<std::vector<HostTensor>> PythonModel::Infer(std::vector<HostTensor>& inputs, InferStats* stats) const {
  GilCall gil;
  auto result = Call(inputs, stats);  // every Python object of the call is gone when it returns
  gil.Finish(stats);
  return result;
}

void PythonModel::InferOnLoop(size_t lane, std::vector<HostTensor> inputs, InferDone done) const {
  LoopLane::Get(lane).Submit(this, std::move(inputs), std::move(done));
}

py::object PythonModel::Start(std::vector<HostTensor>& inputs) const {
  py::dict in;
  for (HostTensor& t : inputs) in[py::str(t.name)] = ToNumpy(std::move(t));
  return infer_(in);
}

Result<std::vector<HostTensor>> PythonModel::Outputs(const py::handle& returned) const {
  if (!py::isinstance<py::dict>(returned)) {
    return Internal("infer() returned " + TypeName(returned) +
                    ", not a dict of output name -> numpy.ndarray");
  }
  auto produced = py::reinterpret_borrow<py::dict>(returned);
  std::vector<HostTensor> outputs;
  outputs.reserve(outputs_.size());
  for (const TensorSpec& spec : outputs_) {
    if (!produced.contains(spec.name)) {
      std::string keys;
      for (const auto& [k, v] : produced) keys += (keys.empty() ? "" : ", ") + std::string(py::str(k));
      return Internal("output '" + spec.name +
                      "' is missing from infer()'s dict (its keys: " + (keys.empty() ? "none" : keys) + ")");
    }
    auto t = FromNumpy(produced[py::str(spec.name)], spec);
    if (!t.ok()) return t.status();
    outputs.push_back(std::move(t).value());
  }
  return outputs;
}

Result<std::vector<HostTensor>> PythonModel::Call(std::vector<HostTensor>& inputs, InferStats* stats) const {
  try {
    py::object out = Start(inputs);
    // Not on an event loop here: a coroutine runs to completion on this
    // thread's own asyncio loop.
    if (is_async_) out = Glue("run_coroutine")(out);
    return Outputs(out);
  } catch (py::error_already_set& e) {
    return InferRaised(e, stats);
  } catch (const std::exception& e) {
    return Internal(std::string("infer() failed: ") + e.what());
  }
}

}  // namespace switchyard::python
