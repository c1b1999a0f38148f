// ModelRepository: every model of a directory in the layout Triton users
// know, loaded and ready to run:
//
//   DIR/<name>/config.toml          optional for TorchScript, required for
//                                   Python (model/model_config.h)
//   DIR/<name>/<version>/model.pt   TorchScript; versions are positive integers
//   DIR/<name>/<version>/model.py   Python: `class Model` (docs/python-models.md)
//
// Each backend is loaded only if a model needs it (model/model_backend.h).
// A model (or version) that fails to load is kept with the reason and is not
// ready; the others serve. Loaded once, then immutable: safe to share between
// threads, and a process forked after loading shares the weights
// copy-on-write.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/model_config.h"
#include "model/model_backend.h"

namespace switchyard {

struct ModelVersion {
  int64_t version = 0;
  BackendKind backend = BackendKind::kTorchScript;
  std::string path;
  std::unique_ptr<LoadedModel> model;  // null when it failed to load
  Status status;                      // why not, when it failed
  bool ready() const { return model != nullptr; }
};

struct ServedModel {
  std::string name;
  ModelConfig config;
  Status status;  // a problem of the model as a whole (bad config, no versions)
  std::map<int64_t, ModelVersion> versions;

  // The version asked for, or the highest ready one; nullptr if none.
  const ModelVersion* Find(std::optional<int64_t> version) const;
  bool ready() const { return Find(std::nullopt) != nullptr; }
  // Why no version serves: the model's own problem, or each failed version's.
  std::string NotReadyReason() const;
  // Inputs as declared, or INPUT__0.. (any datatype and shape) without a config.
  std::vector<TensorSpec> InputSpecs(const ModelVersion& v) const;
};

class ModelRepository {
 public:
  // Loads every model under `dir`, each version with the backend its file
  // names. An error only when `dir` itself cannot be read (InvalidArgument);
  // a model that fails, or whose backend cannot be loaded, is recorded, not
  // fatal. `log` (may be empty) hears one line per model.
  static Result<std::shared_ptr<const ModelRepository>> Load(const std::string& dir,
                                                             const std::function<void(const std::string&)>& log = {});

  const std::string& dir() const { return dir_; }
  // How many threads one inference may use in this process, for every
  // backend a model was loaded with (LibTorch's intra-op pool).
  void SetIntraOpThreads(int threads) const;
  // Whether any ready version runs on `kind`'s backend.
  bool Uses(BackendKind kind) const;
  const ServedModel* Find(const std::string& name) const;

  // Runs one inference of zeros through every ready version whose config
  // declares its inputs (-1 dimensions as 1), on one intra-op thread, so the
  // one-time state of a first inference — the TorchScript executor's
  // optimised plan, allocator pools — exists before workers are forked and is
  // shared copy-on-write rather than built again in each. Leaves no thread
  // running (LibTorch's set_num_threads starts and joins one pool thread).
  // Returns how many versions ran; a failure is logged, not fatal.
  int WarmUp(const std::function<void(const std::string&)>& log = {}) const;
  const std::map<std::string, ServedModel>& models() const { return models_; }

 private:
  std::string dir_;
  // One version of `m` from its directory: loaded, or not ready with why.
  ModelVersion LoadVersion(const ServedModel& m, const std::filesystem::path& dir, int64_t number);

  std::vector<const ModelBackend*> backends_;  // those a model was loaded with
  std::map<std::string, ServedModel> models_;
};

}  // namespace switchyard
