// ModelBackend: what runs a model file. The TorchScript backend lives in its
// own shared module (libswitchyard_torch.so, src/torch_backend/) that is
// loaded with dlopen only when a process first asks for it, the way Triton
// loads its backends: LibTorch maps ~290 libraries and ~160 MB, which a
// server without --models, a load generator or a unit test should not carry
// (it would inflate every memory figure the studies report and add half a
// second to every process start).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/tensor.h"

namespace switchyard {

// One loaded model. Thread-safe: Infer may run concurrently on many threads
// (forward() of a TorchScript module in eval mode does not mutate it).
// Lifetime: the weights live as long as the object; a process forked after
// loading shares them copy-on-write.
class LoadedModel {
 public:
  virtual ~LoadedModel() = default;

  // Inputs of forward() (without `self`).
  virtual size_t input_count() const = 0;

  // forward(inputs...) with no autograd. The inputs' bytes are used in place
  // (hence non-const). Outputs: a tensor, or a tuple/list of tensors, in
  // order; names are left empty for the caller. InvalidArgument with the
  // backend's message when the model rejects the inputs.
  virtual Result<std::vector<HostTensor>> Infer(std::vector<HostTensor>& inputs) const = 0;
};

// Thread-safe; lives until the process exits (a backend is never unloaded).
class ModelBackend {
 public:
  virtual ~ModelBackend() = default;

  // InvalidArgument naming the file and the backend's reason when `path`
  // cannot be loaded.
  virtual Result<std::unique_ptr<LoadedModel>> Load(const std::string& path) const = 0;

  // How many threads one inference may use in this process (LibTorch's
  // intra-op pool). Call before the first inference.
  virtual void SetIntraOpThreads(int threads) const = 0;
};

// The TorchScript backend, loaded into this process on the first call
// (thread-safe) and kept. Looked for in $SWITCHYARD_TORCH_BACKEND, next to
// the running executable, then where the build put it. Internal error naming
// every place tried and dlopen's reason when it cannot be loaded.
//
// Loading LibTorch starts no thread (scripts/install-deps.sh selects the
// OpenMP OpenBLAS for that reason), so a process may still fork afterwards.
Result<const ModelBackend*> TorchBackend();

// The contract between TorchBackend() and the module: the module exports
//   extern "C" switchyard::ModelBackend* switchyard_model_backend(int abi);
// and returns nullptr when `abi` is not the one it was built with.
inline constexpr int kModelBackendAbi = 1;
inline constexpr const char* kModelBackendEntry = "switchyard_model_backend";

}  // namespace switchyard
