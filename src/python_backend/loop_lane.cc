#include "python_backend/loop_lane.h"

#include <pybind11/pybind11.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "python_backend/blas_threads.h"
#include "python_backend/interpreter.h"

namespace py = pybind11;

namespace switchyard::python {

LoopLane& LoopLane::Get(size_t index) {
  static Mutex mu;
  static std::deque<std::unique_ptr<LoopLane>>* lanes =
      new std::deque<std::unique_ptr<LoopLane>>();  // never freed
  MutexLock lock(mu);
  while (lanes->size() <= index) lanes->push_back(std::unique_ptr<LoopLane>(new LoopLane()));
  return *(*lanes)[index];
}

LoopLane::LoopLane() : wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  std::thread([this] { Run(); }).detach();
}

void LoopLane::Submit(const LaneCall* model, std::vector<HostTensor> inputs, LoadedModel::InferDone done) {
  {
    MutexLock lock(mu_);
    submitted_.push_back({model, std::move(inputs), std::move(done)});
  }
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void LoopLane::Run() {
  LimitBlasThreadsOfThisThread();
  InterpreterGil gil;  // held except while the loop waits (selectors release it)
  try {
    py::object asyncio = py::module_::import("asyncio");
    py::object loop = asyncio.attr("new_event_loop")();
    asyncio.attr("set_event_loop")(loop);
    loop.attr("add_reader")(wake_fd_, py::cpp_function([this] { StartSubmitted(); }));
    loop.attr("run_forever")();
  } catch (py::error_already_set& e) {
    std::fprintf(stderr, "switchyard: a Python event loop stopped: %s\n", ExceptionTraceback(e).c_str());
  }
}

void LoopLane::StartSubmitted() {
  uint64_t count = 0;
  (void)!::read(wake_fd_, &count, sizeof count);
  std::vector<Item> items;
  {
    MutexLock lock(mu_);
    items.swap(submitted_);
  }
  for (Item& item : items) Start(std::move(item));
}

void LoopLane::Start(Item item) {
  InferStats stats;
  const int64_t started = SteadyClock::Now();
  try {
    py::object returned = item.model->Start(item.inputs);
    if (!item.model->is_coroutine()) {
      auto outputs = item.model->Outputs(returned);
      // This thread held the GIL for the whole call and waited for none.
      stats.gil_wait_us = 0;
      stats.gil_hold_us = SteadyClock::Now() - started;
      item.done(std::move(outputs), std::move(stats));
      return;
    }
    py::object task = py::module_::import("asyncio").attr("get_event_loop")().attr("create_task")(returned);
    auto pending = std::make_shared<Item>(std::move(item));
    task.attr("add_done_callback")(py::cpp_function([pending](py::object finished) {
      InferStats s;
      Result<std::vector<HostTensor>> outputs = Internal("unset");
      try {
        outputs = pending->model->Outputs(finished.attr("result")());
      } catch (py::error_already_set& e) {
        outputs = InferRaised(e, &s);
      } catch (const std::exception& e) {
        outputs = Internal(std::string("infer() failed: ") + e.what());
      }
      pending->done(std::move(outputs), std::move(s));
    }));
  } catch (py::error_already_set& e) {
    Status raised = InferRaised(e, &stats);
    item.done(raised, std::move(stats));
  } catch (const std::exception& e) {
    item.done(Internal(std::string("infer() failed: ") + e.what()), std::move(stats));
  }
}

}  // namespace switchyard::python
