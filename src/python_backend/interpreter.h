// The embedded CPython interpreter: one per process, initialised by the first
// model load and never finalised (models, their imports and weights live
// until the process exits; a worker forked afterwards shares them
// copy-on-write).
//
// Rules every caller keeps:
//  - The GIL is taken only by a thread about to run Python (GilCall, or
//    InterpreterGil at load time) and released as soon as it is done; an
//    event-loop thread never takes it.
//  - A fork is safe at any time: fork handlers take the GIL in the forking
//    thread around fork() (as os.fork does), so no other thread can hold it
//    across the fork, and CPython's own after-fork state is reset in the
//    child (PyOS_AfterFork_Child).
#pragma once

#include <pybind11/pybind11.h>

#include "core/status.h"
#include "model/model_backend.h"

namespace switchyard::python {

// Initialises the interpreter on the first call (thread-safe) and leaves the
// GIL released. Internal error naming what failed (e.g. numpy missing).
Status EnsureInterpreter();

// The GIL held by the calling thread for the scope (PyGILState: for rare
// work such as loading a model, not the request path, which uses GilCall).
class InterpreterGil {
 public:
  InterpreterGil();
  ~InterpreterGil();
  InterpreterGil(const InterpreterGil&) = delete;
  InterpreterGil& operator=(const InterpreterGil&) = delete;

 private:
  int state_;
};

// A function of the glue module (interpreter.cc's Python half). Call with the
// GIL held, after EnsureInterpreter.
pybind11::object Glue(const char* name);

// "TypeName: message" of the Python exception `e` (the last line of its
// traceback), and the whole traceback for the log.
std::string ExceptionLine(pybind11::error_already_set& e);
std::string ExceptionTraceback(pybind11::error_already_set& e);

// What a client gets when infer() raised `e`: Internal "infer() raised
// TYPE: message"; the traceback goes into `stats` (may be null) for the log.
Status InferRaised(pybind11::error_already_set& e, InferStats* stats);

}  // namespace switchyard::python
