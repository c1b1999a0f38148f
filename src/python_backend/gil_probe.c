/* C, not C++: CPython's internal headers use C11 atomics. See gil_probe.h. */
#define Py_BUILD_CORE_MODULE 1
#include <Python.h>
#include <internal/pycore_runtime.h>

#include <stdint.h>

const int* switchyard_gil_locked_word(void) { return (const int*)&_PyRuntime.ceval.gil.locked; }

const uintptr_t* switchyard_gil_holder_word(void) { return (const uintptr_t*)&_PyRuntime.ceval.gil.last_holder; }

uintptr_t switchyard_gil_begin(void) { return (uintptr_t)&_PyRuntime.ceval.gil; }

size_t switchyard_gil_size(void) { return sizeof _PyRuntime.ceval.gil; }
