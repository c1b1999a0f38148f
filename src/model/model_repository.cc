#include "model/model_repository.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

namespace switchyard {

namespace fs = std::filesystem;

const ModelVersion* ServedModel::Find(std::optional<int64_t> version) const {
  if (version) {
    auto it = versions.find(*version);
    return it != versions.end() && it->second.ready() ? &it->second : nullptr;
  }
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->second.ready()) return &it->second;
  }
  return nullptr;
}

std::string ServedModel::NotReadyReason() const {
  if (!status.ok()) return status.message();
  std::string why;
  for (const auto& [n, v] : versions) {
    if (!v.ready()) why += (why.empty() ? "" : "; ") + ("version " + std::to_string(n) + ": ") + v.status.message();
  }
  return why.empty() ? "no version loaded" : why;
}

std::vector<TensorSpec> ServedModel::InputSpecs(const ModelVersion& v) const {
  if (config.declared) return config.inputs;
  std::vector<TensorSpec> specs;
  for (size_t i = 0; i < v.model->input_count(); ++i) specs.push_back({"INPUT__" + std::to_string(i), {}, {}});
  return specs;
}

namespace {

// The backend a version directory's file names, or why none.
Result<BackendKind> KindOf(const fs::path& dir) {
  std::error_code ec;
  bool torch = fs::exists(dir / ModelFileName(BackendKind::kTorchScript), ec);
  bool python = fs::exists(dir / ModelFileName(BackendKind::kPython), ec);
  if (torch && python) return InvalidArgument("both model.pt and model.py in " + dir.string() + ": keep one");
  if (python) return BackendKind::kPython;
  return BackendKind::kTorchScript;  // model.pt, or its absence reported by the backend
}

}  // namespace

ModelVersion ModelRepository::LoadVersion(const ServedModel& m, const fs::path& dir, int64_t number) {
  ModelVersion mv;
  mv.version = number;
  auto kind = KindOf(dir);
  if (!kind.ok()) {
    mv.status = kind.status();
    return mv;
  }
  mv.backend = *kind;
  mv.path = (dir / ModelFileName(mv.backend)).string();
  if (mv.backend == BackendKind::kPython && !m.config.declared) {
    mv.status = InvalidArgument("a Python model needs " + m.name +
                                "/config.toml declaring its [[input]] and [[output]] tensors");
    return mv;
  }
  auto backend = BackendFor(mv.backend);
  if (!backend.ok()) {
    mv.status = backend.status();
    return mv;
  }
  if (std::find(backends_.begin(), backends_.end(), *backend) == backends_.end()) backends_.push_back(*backend);
  ModelSource source;
  source.name = m.name;
  source.version = number;
  source.path = mv.path;
  if (m.config.declared) {
    source.config_json = ModelConfigJson(m.name, number, m.config);
    source.declared_inputs = m.config.inputs.size();
  }
  auto model = (*backend)->Load(source);
  if (!model.ok()) {
    mv.status = model.status();
    return mv;
  }
  mv.model = std::move(model).value();
  if (m.config.declared && m.config.inputs.size() != mv.model->input_count()) {
    mv.status = InvalidArgument("config.toml declares " + std::to_string(m.config.inputs.size()) +
                                " inputs; forward() takes " + std::to_string(mv.model->input_count()));
    mv.model.reset();
  }
  return mv;
}

Result<std::shared_ptr<const ModelRepository>> ModelRepository::Load(
    const std::string& dir, const std::function<void(const std::string&)>& log) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return InvalidArgument("--models '" + dir + "' is not a readable directory");
  auto repo = std::make_shared<ModelRepository>();
  repo->dir_ = dir;
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory()) entries.push_back(e.path());
  }
  if (ec) return InvalidArgument("cannot list --models '" + dir + "': " + ec.message());
  std::sort(entries.begin(), entries.end());  // a stable load order, whatever the directory's
  for (const fs::path& path : entries) {
    ServedModel m;
    m.name = path.filename().string();
    if (fs::exists(path / "config.toml")) {
      auto config = LoadModelConfig((path / "config.toml").string());
      if (config.ok()) {
        m.config = std::move(config).value();
      } else {
        m.status = config.status();
      }
    }
    if (m.status.ok()) {
      for (const auto& v : fs::directory_iterator(path, ec)) {
        const std::string vname = v.path().filename().string();
        int64_t number = 0;
        auto [end, err] = std::from_chars(vname.data(), vname.data() + vname.size(), number);
        if (!v.is_directory() || err != std::errc() || end != vname.data() + vname.size() || number <= 0) continue;
        m.versions.emplace(number, repo->LoadVersion(m, v.path(), number));
      }
      if (m.versions.empty()) m.status = NotFound("no version directory (" + m.name + "/1/model.pt or model.py) found");
    }
    if (log) {
      std::string line = "model " + m.name + ": ";
      if (!m.status.ok()) {
        line += "NOT READY: " + m.status.message();
      } else {
        for (const auto& [n, v] : m.versions) {
          line += "v" + std::to_string(n) + (v.ready() ? " ready " : " FAILED (" + v.status.message() + ") ");
        }
      }
      log(line);
    }
    repo->models_.emplace(m.name, std::move(m));
  }
  return std::shared_ptr<const ModelRepository>(std::move(repo));
}

void ModelRepository::SetIntraOpThreads(int threads) const {
  for (const ModelBackend* b : backends_) b->SetIntraOpThreads(threads);
}

bool ModelRepository::Uses(BackendKind kind) const {
  for (const auto& [name, m] : models_) {
    for (const auto& [number, v] : m.versions) {
      if (v.ready() && v.backend == kind) return true;
    }
  }
  return false;
}

int ModelRepository::WarmUp(const std::function<void(const std::string&)>& log) const {
  SetIntraOpThreads(1);
  int ran = 0;
  for (const auto& [name, m] : models_) {
    if (!m.config.declared) continue;
    for (const auto& [number, v] : m.versions) {
      // A Python model's warm-up is its own __init__; calling its infer()
      // here could start threads (the GIL sampler, the model's own) in a
      // process that has yet to fork.
      if (!v.ready() || v.backend != BackendKind::kTorchScript) continue;
      std::vector<HostTensor> inputs;
      for (const TensorSpec& spec : m.config.inputs) {
        HostTensor t;
        t.name = spec.name;
        t.dtype = spec.dtype;
        for (int64_t d : spec.shape) t.shape.push_back(d < 0 ? 1 : d);
        auto count = ElementCount(t.shape, int64_t{1} << 28);
        if (!count.ok()) break;
        t.bytes.assign(static_cast<size_t>(*count) * ElementSize(t.dtype), '\0');
        inputs.push_back(std::move(t));
      }
      auto out = v.model->Infer(inputs);
      if (out.ok()) {
        ++ran;
      } else if (log) {
        log("model " + name + " v" + std::to_string(number) + ": warm-up failed: " + out.status().message());
      }
    }
  }
  return ran;
}

const ServedModel* ModelRepository::Find(const std::string& name) const {
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : &it->second;
}

}  // namespace switchyard
