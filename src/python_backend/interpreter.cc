#include "python_backend/interpreter.h"

#include <dlfcn.h>
#include <pthread.h>
#include <pybind11/eval.h>

#include <mutex>

#include "python_backend/gil_meter.h"

namespace py = pybind11;

namespace switchyard::python {
namespace {

// The Python half: loading a model file as a module, running an async
// infer() to completion on a thread that is not an event loop, formatting
// exceptions. Kept here so the module needs no file on disk beside it.
constexpr const char* kGlueSource = R"PY(
import asyncio, importlib.util, inspect, json, os, sys, threading, traceback

def load_model(path, module_name, config_json):
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    cls = getattr(module, "Model", None)
    if not isinstance(cls, type):
        if isinstance(getattr(module, "TritonPythonModel", None), type):
            raise AttributeError(
                f"{os.path.basename(path)} defines TritonPythonModel (Triton's API: initialize/execute with "
                "pb_utils requests); switchyard's is class Model with __init__(self, config) and "
                "infer(self, inputs) on dicts of numpy arrays (docs/python-models.md)")
        raise AttributeError(f"{os.path.basename(path)} defines no class Model")
    if not callable(getattr(cls, "infer", None)):
        raise AttributeError("class Model has no infer(self, inputs) method")
    model = cls(json.loads(config_json))
    return model, inspect.iscoroutinefunction(model.infer)

_local = threading.local()

def run_coroutine(coroutine):
    loop = getattr(_local, "loop", None)
    if loop is None:
        loop = _local.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine)

def limit_torch_threads(threads):
    # PyTorch sizes each new thread's OpenMP team from its own global setting
    # (at::init_num_threads on the thread's first operator), which defaults to
    # every core and would override the per-thread limit blas_threads.cc sets.
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)

def exception_line(kind, value):
    return traceback.format_exception_only(kind, value)[-1].strip()

def exception_traceback(kind, value, tb):
    return "".join(traceback.format_exception(kind, value, tb)).rstrip()
)PY";

py::dict* g_glue = nullptr;  // set once under the GIL, then read-only
thread_local PyGILState_STATE t_fork_gil;

void BeforeFork() {
  t_fork_gil = PyGILState_Ensure();
  PyOS_BeforeFork();
  GilMeterBeforeFork();
}

void AfterForkParent() {
  GilMeterAfterForkParent();
  PyOS_AfterFork_Parent();
  PyGILState_Release(t_fork_gil);
}

void AfterForkChild() {
  GilMeterAfterForkChild();
  PyOS_AfterFork_Child();
  PyGILState_Release(t_fork_gil);
}

Status Initialise() {
  // The module was loaded RTLD_LOCAL; extension modules (numpy's) expect
  // libpython's symbols in the global namespace, as in the python3 binary.
  if (::dlopen(SWITCHYARD_LIBPYTHON_SONAME, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL) == nullptr) {
    return Internal(std::string("cannot make ") + SWITCHYARD_LIBPYTHON_SONAME + " global: " + ::dlerror());
  }
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.install_signal_handlers = 0;  // the server owns SIGINT/SIGTERM
  config.parse_argv = 0;
  // Named as the python3 it was built against, the interpreter finds the
  // same prefix, standard library and site-packages as that python3.
  PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, SWITCHYARD_PYTHON_EXECUTABLE);
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    return Internal(std::string("cannot start the Python interpreter: ") +
                    (status.err_msg != nullptr ? status.err_msg : "unknown error"));
  }
  Status result;
  try {
    auto* glue = new py::dict();
    py::exec(kGlueSource, *glue);
    g_glue = glue;
    py::module_::import("numpy");
  } catch (py::error_already_set& e) {
    result = Internal("the Python backend cannot start: " + ExceptionLine(e) +
                      " (is python3-numpy installed? scripts/install-deps.sh installs it)");
  }
  ::pthread_atfork(BeforeFork, AfterForkParent, AfterForkChild);
  PyEval_SaveThread();  // the main thread's state is kept by CPython
  return result;
}

}  // namespace

Status EnsureInterpreter() {
  static std::once_flag once;
  static Status status;
  std::call_once(once, [] { status = Initialise(); });
  return status;
}

InterpreterGil::InterpreterGil() : state_(PyGILState_Ensure()) {}
InterpreterGil::~InterpreterGil() { PyGILState_Release(static_cast<PyGILState_STATE>(state_)); }

py::object Glue(const char* name) { return (*g_glue)[name]; }

std::string ExceptionLine(py::error_already_set& e) {
  try {
    return Glue("exception_line")(e.type(), e.value()).cast<std::string>();
  } catch (...) {
    return e.what();
  }
}

std::string ExceptionTraceback(py::error_already_set& e) {
  try {
    return Glue("exception_traceback")(e.type(), e.value(), e.trace()).cast<std::string>();
  } catch (...) {
    return e.what();
  }
}

Status InferRaised(py::error_already_set& e, InferStats* stats) {
  if (stats != nullptr) stats->error_detail = ExceptionTraceback(e);
  return Internal("infer() raised " + ExceptionLine(e));
}

}  // namespace switchyard::python
