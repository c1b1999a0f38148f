#include "model/model_backend.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <mutex>

namespace switchyard {

namespace {

struct ModuleInfo {
  const char* what;        // for messages
  const char* file_name;   // the module's file
  const char* env;         // where a user may point at it
  const char* build_path;  // where the build put it, or ""
  const char* model_file;  // what a version directory holds
};

#ifndef SWITCHYARD_TORCH_BACKEND_BUILD_PATH
#define SWITCHYARD_TORCH_BACKEND_BUILD_PATH ""
#endif
#ifndef SWITCHYARD_PYTHON_BACKEND_BUILD_PATH
#define SWITCHYARD_PYTHON_BACKEND_BUILD_PATH ""
#endif

const ModuleInfo& InfoOf(BackendKind kind) {
  static const ModuleInfo torch{"TorchScript", "libswitchyard_torch.so", "SWITCHYARD_TORCH_BACKEND",
                                SWITCHYARD_TORCH_BACKEND_BUILD_PATH, "model.pt"};
  static const ModuleInfo python{"Python", "libswitchyard_python.so", "SWITCHYARD_PYTHON_BACKEND",
                                 SWITCHYARD_PYTHON_BACKEND_BUILD_PATH, "model.py"};
  return kind == BackendKind::kPython ? python : torch;
}

std::vector<std::string> Candidates(const ModuleInfo& info) {
  std::vector<std::string> paths;
  if (const char* env = ::getenv(info.env); env != nullptr && *env != '\0') paths.push_back(env);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) paths.push_back((exe.parent_path() / info.file_name).string());
  if (*info.build_path != '\0') paths.push_back(info.build_path);
  // The executable's directory is often the build's: try each place once.
  std::vector<std::string> unique;
  for (std::string& p : paths) {
    if (std::find(unique.begin(), unique.end(), p) == unique.end()) unique.push_back(std::move(p));
  }
  return unique;
}

Result<const ModelBackend*> Load(const ModuleInfo& info) {
  std::string tried;
  for (const std::string& path : Candidates(info)) {
    if (::access(path.c_str(), R_OK) != 0) {
      tried += "\n  " + path + ": not found";
      continue;
    }
    // RTLD_LOCAL: the backend's libraries' symbols stay out of the global
    // namespace (the Python module promotes libpython itself, which its
    // extension modules need).
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      tried += "\n  " + path + ": " + ::dlerror();
      continue;
    }
    using Entry = ModelBackend* (*)(int);
    auto entry = reinterpret_cast<Entry>(::dlsym(handle, kModelBackendEntry));
    if (entry == nullptr) {
      tried += "\n  " + path + ": no " + kModelBackendEntry + " in it";
      continue;
    }
    if (ModelBackend* backend = entry(kModelBackendAbi)) return static_cast<const ModelBackend*>(backend);
    tried += "\n  " + path + ": built for another version of switchyard";
  }
  return Internal("cannot load the " + std::string(info.what) + " backend (" + info.file_name + "); tried:" + tried);
}

}  // namespace

const char* ModelFileName(BackendKind kind) { return InfoOf(kind).model_file; }

Result<const ModelBackend*> BackendFor(BackendKind kind) {
  struct Slot {
    std::once_flag once;
    Result<const ModelBackend*> backend = Internal("not loaded");
  };
  static std::array<Slot, 2> slots;
  Slot& slot = slots[kind == BackendKind::kPython ? 1 : 0];
  std::call_once(slot.once, [&] { slot.backend = Load(InfoOf(kind)); });
  return slot.backend;
}

}  // namespace switchyard
