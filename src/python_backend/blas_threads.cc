#include "python_backend/blas_threads.h"

#include <dlfcn.h>

#include <atomic>

namespace switchyard::python {
namespace {

std::atomic<int> g_threads{1};

}  // namespace

void SetBlasThreadsPerCall(int threads) { g_threads.store(threads < 1 ? 1 : threads); }

void LimitBlasThreadsOfThisThread() {
  // The process's own OpenMP runtime (the switchyard binary links it), the
  // one the OpenMP OpenBLAS that numpy loads shares; looked up rather than
  // linked so the module does not bring an OpenMP runtime of its own.
  using SetThreads = void (*)(int);
  static const auto set = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  if (set != nullptr) set(g_threads.load());
}

}  // namespace switchyard::python
