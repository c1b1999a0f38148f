// HostTensor <-> numpy.ndarray. Call with the GIL held.
#pragma once

#include <pybind11/numpy.h>

#include "core/status.h"
#include "model/tensor.h"

namespace switchyard::python {

// An ndarray over `t`'s bytes, without a copy: the bytes move into a capsule
// the array owns, so a model that keeps the array keeps valid memory.
pybind11::array ToNumpy(HostTensor&& t);

// The bytes of output `spec.name`: it must be a C-contiguous ndarray of one of
// the v2 datatypes, the one `spec` declares, in a shape `spec` accepts.
// Internal naming the output and what is wrong otherwise.
Result<HostTensor> FromNumpy(const pybind11::handle& value, const TensorSpec& spec);

}  // namespace switchyard::python
