// GilMeter: how long each Python call waited for the GIL and how long it held
// it — the figure the seeds' central question (do threads help?) turns on.
//
// What is measured, and how:
//  - On entry, exactly: the time a worker thread waits in
//    PyEval_RestoreThread before its call can start.
//  - Inside the call, sampled: CPython 3.11 offers no hook at its own
//    hand-offs (the eval breaker dropping the GIL for a waiting thread every
//    switch interval, 5 ms; C code releasing it around BLAS, I/O or sleeps).
//    A sampler thread looks once a millisecond at every thread in a call:
//      held      the GIL is locked and its holder is this thread's state;
//      waiting   the thread is blocked on a futex inside the GIL's struct
//                (/proc/self/task/TID/syscall names the futex);
//      released  anything else: C code running without the GIL, a sleep, I/O.
//    A call's time is split in the proportion of its samples; a call too
//    short to be sampled (under ~1 ms) counts as held throughout — it held
//    the GIL at both ends. The sampler reads two words CPython itself reads
//    without a lock (python_backend/gil_probe.h), calls no API, and runs only
//    while some thread is in a call.
// Not counted: time the thread was runnable but not scheduled by the kernel
// (it shows as held or released, whichever it was doing).
//
// Thread-safety: GilCall is used by one thread at a time (the worker running
// the call); the sampler is internal. Fork: Sampler::BeforeFork/AfterFork*
// keep its state consistent in a child (python_backend/interpreter.cc calls
// them from its fork handlers); a child starts its own sampler on its first
// call.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "model/model_backend.h"

struct _ts;  // PyThreadState

namespace switchyard::python {

// One thread's Python state: a PyThreadState made once per OS thread and kept
// across calls (so a model's threading.local state survives between
// requests), and the sampler's counters for it. Owned by the thread
// (thread_local) and shared with the sampler's registry.
struct ThreadSlot {
  _ts* tstate = nullptr;
  int tid = 0;
  int syscall_fd = -1;  // /proc/thread-self/syscall, or -1 where unreadable
  std::atomic<bool> in_call{false};
  std::atomic<uint64_t> held{0}, waiting{0}, released{0};
};

// The GIL taken for one call on the calling thread.
class GilCall {
 public:
  // Takes the GIL with this thread's own thread state, timing the wait.
  GilCall();
  // Releases the GIL if Finish was not called.
  ~GilCall();
  GilCall(const GilCall&) = delete;
  GilCall& operator=(const GilCall&) = delete;

  // Releases the GIL and writes the call's wait and hold into `stats` (may
  // be null).
  void Finish(InferStats* stats);

 private:
  ThreadSlot* slot_;
  int64_t entry_wait_us_ = 0;
  int64_t started_us_ = 0;
  uint64_t held0_ = 0, waiting0_ = 0, released0_ = 0;
  bool finished_ = false;
};

// Fork handlers (called with the GIL held by the forking thread).
void GilMeterBeforeFork();
void GilMeterAfterForkParent();
void GilMeterAfterForkChild();

// "holder+futex" when the sampler can see waits, "holder" when
// /proc/thread-self/syscall is unreadable (then a thread not holding the GIL
// counts as released, and only entry waits are seen).
const char* GilSamplerMode();

}  // namespace switchyard::python
