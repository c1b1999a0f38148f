#include "model/model_backend.h"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

namespace switchyard {

namespace {

constexpr const char* kModuleName = "libswitchyard_torch.so";

std::vector<std::string> Candidates() {
  std::vector<std::string> paths;
  if (const char* env = ::getenv("SWITCHYARD_TORCH_BACKEND"); env != nullptr && *env != '\0') paths.push_back(env);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) paths.push_back((exe.parent_path() / kModuleName).string());
#ifdef SWITCHYARD_TORCH_BACKEND_BUILD_PATH
  paths.push_back(SWITCHYARD_TORCH_BACKEND_BUILD_PATH);
#endif
  return paths;
}

Result<const ModelBackend*> Load() {
  std::string tried;
  for (const std::string& path : Candidates()) {
    if (::access(path.c_str(), R_OK) != 0) {
      tried += "\n  " + path + ": not found";
      continue;
    }
    // RTLD_LOCAL: LibTorch's symbols stay out of the global namespace.
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
  return Internal("cannot load the TorchScript backend (" + std::string(kModuleName) + "); tried:" + tried);
}

}  // namespace

Result<const ModelBackend*> TorchBackend() {
  static std::once_flag once;
  static Result<const ModelBackend*> backend = Internal("not loaded");
  std::call_once(once, [] { backend = Load(); });
  return backend;
}

}  // namespace switchyard
