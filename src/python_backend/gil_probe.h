// Where CPython 3.11 keeps the GIL's state, for the GIL sampler
// (python_backend/gil_meter.h). The fields are CPython's own internals
// (Include/internal/pycore_gil.h): `locked` and `last_holder` are atomics
// that CPython itself reads without any lock ("atomic because it can be read
// without any lock taken in ceval.c"), which is what profilers such as
// py-spy read to tell who holds the GIL. Reading them calls no API, takes no
// reference and changes nothing. Per-interpreter GILs (3.12) move the struct
// into the interpreter state; free-threaded builds (3.13t) have none — this
// file is the one place that would change (docs/python-models.md).
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
// Address of the int that is 1 while some thread holds the GIL.
const int* switchyard_gil_locked_word(void);
// Address of the PyThreadState* of the thread that holds or last held it.
const uintptr_t* switchyard_gil_holder_word(void);
// The GIL's whole struct: a thread blocked on a futex inside it is waiting
// for the GIL (its mutex or condition variables).
uintptr_t switchyard_gil_begin(void);
size_t switchyard_gil_size(void);
}
