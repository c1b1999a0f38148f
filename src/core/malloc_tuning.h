// How glibc's malloc should treat a server's memory: keep what requests
// free for the next request instead of handing it back to the kernel.
//
// glibc starts with a 128 KiB mmap threshold and a 128 KiB trim threshold and
// raises both as larger blocks are freed (up to 32 MiB and 64 MiB). A server
// whose requests each allocate and free a few hundred KiB (numpy arrays of a
// Python model, tensors) sits below the top of that adaptation: the free at
// the end of each request leaves more than the trim threshold at the top of
// the worker thread's arena, glibc returns it with madvise, and the next
// request faults the same pages in again, zero-filled. py_numpy (four
// 384 x 384 float32 arrays per request) spent about a third of its time in
// page faults that way and served 689 requests/s on 2 threads against 1,258
// with the thresholds fixed (docs/python-models.md). Which case a server fell
// in depended on what happened to be freed before — loading another model
// that freed a large block raised the thresholds for good.
//
// So a serving process starts where glibc's adaptation ends: blocks up to
// 32 MiB come from the arenas, and an arena keeps up to 64 MiB free at its
// top. The price is memory the process keeps after a burst (at most that
// much per arena above what it uses), which the memory figures include.
#pragma once

#include <string>

namespace switchyard {

// Applies the thresholds above to this process (call it once, early, in each
// serving process: the server, and a worker started by exec; forked workers
// inherit it). Leaves malloc alone, and says so, when the environment already
// tunes it (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_,
// MALLOC_MMAP_MAX_, or glibc.malloc in GLIBC_TUNABLES): the user's choice
// wins. Returns a line for the log: what was set, or why nothing was.
std::string TuneMallocForServing();

}  // namespace switchyard
