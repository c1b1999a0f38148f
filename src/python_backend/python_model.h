// PythonModel: one `class Model` instance from a model.py, served as a
// LoadedModel. infer(self, inputs) takes a dict of input name ->
// numpy.ndarray and returns a dict of output name -> numpy.ndarray; it may be
// `async def` (run to completion on the calling thread's own asyncio loop).
//
// Thread-safety: Infer may be called from many threads; each call takes the
// GIL (GilCall), so Python runs one thread at a time per process — which is
// exactly what the threads executor shows.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "model/model_backend.h"
#include "python_backend/loop_lane.h"

namespace switchyard::python {

class PythonModel final : public LoadedModel, public LaneCall {
 public:
  // Loads `source.path` (InvalidArgument with the Python error's last line,
  // the whole traceback in `detail`, when it fails). Takes the GIL.
  static Result<std::unique_ptr<LoadedModel>> Load(const ModelSource& source, std::string* detail);

  ~PythonModel() override;

  size_t input_count() const override { return input_count_; }
  Result<std::vector<HostTensor>> Infer(std::vector<HostTensor>& inputs, InferStats* stats) const override;
  bool needs_own_loop() const override { return true; }
  bool is_coroutine() const override { return is_async_; }
  void InferOnLoop(size_t lane, std::vector<HostTensor> inputs, InferDone done) const override;

  // LaneCall: the pieces of a call, run on a lane's asyncio loop.
  pybind11::object Start(std::vector<HostTensor>& inputs) const override;
  Result<std::vector<HostTensor>> Outputs(const pybind11::handle& returned) const override;

 private:
  PythonModel() = default;
  // The whole call on this thread, with the GIL held.
  Result<std::vector<HostTensor>> Call(std::vector<HostTensor>& inputs, InferStats* stats) const;

  pybind11::object model_;
  pybind11::object infer_;  // model_.infer, bound once
  bool is_async_ = false;
  size_t input_count_ = 0;
  std::vector<TensorSpec> outputs_;  // as declared, in order
};

}  // namespace switchyard::python
