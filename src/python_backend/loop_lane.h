// LoopLane: an asyncio event loop on a thread of its own, one per async
// worker of the server — where Python models run under the async executor,
// so the HTTP event loops never take the GIL.
//
// A request is handed over without the GIL (a queue and an eventfd the
// asyncio loop watches with add_reader). On the lane's loop an `async def
// infer` runs as a task, so `await asyncio.sleep(...)` or awaited I/O
// suspends it and the lane serves other requests meanwhile; a plain `def
// infer` runs to completion on the lane, blocking it as it would block an
// asyncio server (`--offload` sends those to the offload threads instead, as
// asyncio.to_thread would). The lane's thread holds the GIL while it runs
// Python and releases it while its loop waits.
//
// GIL figures: a plain infer on a lane holds the GIL for its whole call and
// is reported so (wait 0: the lane's own waits for the GIL happen in its
// loop, between requests); a coroutine's steps interleave with other
// requests' on the lane, so its figures are reported as not measured (-1).
//
// Thread-safety: Submit from any thread. Lanes are made on first use and
// live until the process exits (their threads are never joined); a process
// with lanes must not fork (the async executor never forks).
#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>
#include <vector>

#include "core/thread_annotations.h"
#include "model/model_backend.h"

namespace switchyard::python {

// What a lane runs: one model's call in two pieces (PythonModel is one), both
// with the GIL held; both throw pybind11::error_already_set when Python raises.
class LaneCall {
 public:
  virtual ~LaneCall() = default;
  // infer(inputs): for a coroutine model, the coroutine, not yet run.
  virtual pybind11::object Start(std::vector<HostTensor>& inputs) const = 0;
  // The declared outputs of what infer returned.
  virtual Result<std::vector<HostTensor>> Outputs(const pybind11::handle& returned) const = 0;
  virtual bool is_coroutine() const = 0;
};

class LoopLane {
 public:
  // Lane `index`, started on the first call for it.
  static LoopLane& Get(size_t index);

  // Runs one inference of `model` on this lane; `done` is called once, on the
  // lane's thread.
  void Submit(const LaneCall* model, std::vector<HostTensor> inputs, LoadedModel::InferDone done)
      EXCLUDES(mu_);

 private:
  struct Item {
    const LaneCall* model;
    std::vector<HostTensor> inputs;
    LoadedModel::InferDone done;
  };

  LoopLane();
  // The lane's thread: the asyncio loop, for ever.
  void Run();
  // On the loop, GIL held: starts everything submitted since the last time.
  void StartSubmitted() EXCLUDES(mu_);
  void Start(Item item);

  int wake_fd_ = -1;  // eventfd: Submit writes, the loop's reader drains
  Mutex mu_;
  std::vector<Item> submitted_ GUARDED_BY(mu_);
};

}  // namespace switchyard::python
