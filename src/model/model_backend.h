// ModelBackend: what runs a model file. Each backend lives in its own shared
// module, loaded with dlopen only when a process first needs it, the way
// Triton loads its backends:
//
//   TorchScript  model.pt  libswitchyard_torch.so   (src/torch_backend/)
//   Python       model.py  libswitchyard_python.so  (src/python_backend/)
//
// LibTorch maps ~290 libraries and ~160 MB, an embedded CPython an
// interpreter and its imports: a server without such models, a load generator
// or a unit test should carry neither (it would inflate every memory figure
// the studies report and add to every process start).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/tensor.h"

namespace switchyard {

// What one inference cost beyond its wall time, where the backend can tell.
// -1: not measured (the TorchScript backend has no GIL).
struct InferStats {
  // Python: time this request waited for the GIL (on entry, and at the
  // interpreter's hand-offs while it ran), and time it held it.
  int64_t gil_wait_us = -1;
  int64_t gil_hold_us = -1;
  // For the server's log, never the client: e.g. a Python traceback.
  std::string error_detail;
};

// One loaded model. Thread-safe: Infer may run concurrently on many threads
// (forward() of a TorchScript module in eval mode does not mutate it; a
// Python model's calls are serialised by the GIL). Lifetime: the weights live
// as long as the object; a process forked after loading shares them
// copy-on-write.
class LoadedModel {
 public:
  virtual ~LoadedModel() = default;

  // How many inputs the model takes.
  virtual size_t input_count() const = 0;

  // One inference. The inputs' bytes are used in place and may be moved from
  // (hence non-const). Outputs in order; a backend that knows their names
  // sets them (Python: the declared outputs), else they are left empty for
  // the caller. InvalidArgument with the backend's message when the model
  // rejects the inputs; Internal when the model itself fails or returns
  // something that is not a tensor it declared. `stats` may be null.
  virtual Result<std::vector<HostTensor>> Infer(std::vector<HostTensor>& inputs, InferStats* stats) const = 0;
  Result<std::vector<HostTensor>> Infer(std::vector<HostTensor>& inputs) const { return Infer(inputs, nullptr); }

  // Whether the model must never run on an event-loop thread of the server
  // (a Python model: the HTTP loops never take the GIL). Such a model has
  // loops of its own, InferOnLoop's.
  virtual bool needs_own_loop() const { return false; }
  // Whether infer is a coroutine (`async def`): it suspends on its loop
  // instead of holding a thread while it waits.
  virtual bool is_coroutine() const { return false; }

  // One inference on the backend's own event loop number `lane` (for Python,
  // an asyncio loop per async worker, on a thread of its own): `done` is
  // called exactly once, from that loop's thread, and must only hand the
  // result on (it runs while the loop's thread holds the GIL). Never blocks
  // the caller. The default runs Infer on the calling thread.
  using InferDone = std::function<void(Result<std::vector<HostTensor>>, InferStats)>;
  virtual void InferOnLoop(size_t lane, std::vector<HostTensor> inputs, InferDone done) const {
    (void)lane;
    InferStats stats;
    auto out = Infer(inputs, &stats);
    done(std::move(out), std::move(stats));
  }
};

// What a backend is asked to load.
struct ModelSource {
  std::string name;
  int64_t version = 0;
  std::string path;  // the version's model file
  // The model's config.toml as a JSON object (name, version, inputs,
  // outputs, parameters), for backends that hand it to the model; "{}" when
  // the model has no config.
  std::string config_json = "{}";
  size_t declared_inputs = 0;  // 0 without a config
};

// Thread-safe; lives until the process exits (a backend is never unloaded).
class ModelBackend {
 public:
  virtual ~ModelBackend() = default;

  // InvalidArgument naming the file and the backend's reason when the model
  // cannot be loaded.
  virtual Result<std::unique_ptr<LoadedModel>> Load(const ModelSource& source) const = 0;

  // How many threads one inference may use in this process (LibTorch's
  // intra-op pool). Call before the first inference.
  virtual void SetIntraOpThreads(int threads) const = 0;
};

// The kinds of model file, one backend each.
enum class BackendKind { kTorchScript, kPython };

// The file name a version directory holds for `kind` ("model.pt", "model.py").
const char* ModelFileName(BackendKind kind);

// The backend for `kind`, loaded into this process on the first call
// (thread-safe) and kept. Looked for in $SWITCHYARD_TORCH_BACKEND /
// $SWITCHYARD_PYTHON_BACKEND, next to the running executable, then where the
// build put it. Internal error naming every place tried and dlopen's reason
// when it cannot be loaded.
//
// Loading either starts no thread (scripts/install-deps.sh selects the OpenMP
// OpenBLAS for that reason; the Python backend starts its GIL sampler at the
// first inference), so a process may still fork afterwards.
Result<const ModelBackend*> BackendFor(BackendKind kind);
inline Result<const ModelBackend*> TorchBackend() { return BackendFor(BackendKind::kTorchScript); }

// The contract between BackendFor() and a module: the module exports
//   extern "C" switchyard::ModelBackend* switchyard_model_backend(int abi);
// and returns nullptr when `abi` is not the one it was built with.
inline constexpr int kModelBackendAbi = 2;
inline constexpr const char* kModelBackendEntry = "switchyard_model_backend";

}  // namespace switchyard
