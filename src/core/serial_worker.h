// SerialWorker: one background thread running submitted tasks in order.
//
// For work that must not run on an event loop and must not overlap with
// itself, such as live reconfiguration (starting worker processes takes
// milliseconds to seconds).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <thread>

#include "core/thread_annotations.h"

namespace switchyard {

// Thread-safe. Lifetime: Stop() (or the destructor) runs every task already
// submitted, then joins the thread; Post after Stop returns false.
class SerialWorker {
 public:
  SerialWorker() : thread_([this] { Loop(); }) {}
  ~SerialWorker() { Stop(); }
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  bool Post(std::function<void()> task) EXCLUDES(mu_) {
    {
      MutexLock lock(mu_);
      if (stopping_) return false;
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
  }

  void Stop() EXCLUDES(mu_) {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    while (true) {
      std::function<void()> task;
      {
        MutexLock lock(mu_);
        cv_.wait(lock.native(), [&]() REQUIRES(mu_) { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stopping, and nothing left to run
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  Mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after the fields it uses exist
};

}  // namespace switchyard
