// How many threads a Python model's BLAS (numpy's) may use per call: the
// Python backend's --intra-op-threads, as LibTorch's pool is the TorchScript
// backend's. Debian's numpy calls libblas.so.3, which install-deps selects
// as the OpenMP OpenBLAS; OpenMP sizes the team a BLAS call forms from the
// *calling* thread's setting, so every thread that runs Python sets it once.
// Without it, 2 workers × a team of every core oversubscribe the machine
// (2 worker processes each calling sgemm on 2 cores ran py_numpy at 0.6 of
// 2 threads of one process here). PyTorch keeps a process-wide setting of
// its own that it applies to each new thread: python_backend.cc sets that
// too (torch.set_num_threads) when a model imported torch.
#pragma once

namespace switchyard::python {

// Called by the backend before workers start (thread-safe).
void SetBlasThreadsPerCall(int threads);

// Applies the setting to the calling thread (once per thread that runs
// Python; a no-op without an OpenMP runtime in the process).
void LimitBlasThreadsOfThisThread();

}  // namespace switchyard::python
