// The Python backend: the only code of switchyard that embeds CPython. Built
// as its own module (libswitchyard_python.so) and loaded by BackendFor()
// (model/model_backend.h) when a process first loads a model.py, so a server
// without Python models carries no interpreter.
#include <cstdio>

#include "model/model_backend.h"
#include "python_backend/blas_threads.h"
#include "python_backend/interpreter.h"
#include "python_backend/python_model.h"

namespace switchyard::python {
namespace {

class PythonBackend final : public ModelBackend {
 public:
  Result<std::unique_ptr<LoadedModel>> Load(const ModelSource& source) const override {
    std::string detail;
    auto model = PythonModel::Load(source, &detail);
    // The whole traceback for the server's log (its first line names the
    // model; the client and /v2 metadata get the last line only).
    if (!model.ok() && !detail.empty()) {
      std::fprintf(stderr, "switchyard: model %s v%lld: %s\n", source.name.c_str(),
                   static_cast<long long>(source.version), detail.c_str());
    }
    return model;
  }

  // numpy's BLAS threads per call (python_backend/blas_threads.h) and, when
  // a model imported torch, torch.set_num_threads: both from the one knob.
  void SetIntraOpThreads(int threads) const override {
    SetBlasThreadsPerCall(threads);
    if (!EnsureInterpreter().ok()) return;  // a model's load has already named the failure
    InterpreterGil gil;
    try {
      Glue("limit_torch_threads")(threads < 1 ? 1 : threads);
    } catch (pybind11::error_already_set& e) {
      std::fprintf(stderr, "switchyard: torch.set_num_threads(%d): %s\n", threads, ExceptionLine(e).c_str());
    }
  }
};

}  // namespace
}  // namespace switchyard::python

extern "C" __attribute__((visibility("default"))) switchyard::ModelBackend* switchyard_model_backend(
    int abi) {
  if (abi != switchyard::kModelBackendAbi) return nullptr;
  static switchyard::python::PythonBackend backend;
  return &backend;
}
