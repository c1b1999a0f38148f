#include "python_backend/gil_meter.h"

#include <Python.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/thread_annotations.h"
#include "python_backend/blas_threads.h"
#include "python_backend/gil_probe.h"

namespace switchyard::python {
namespace {

constexpr long kSamplePeriodNs = 1'000'000;

// The per-process sampler. Started by the first call in a process (never at
// load: the interpreter is initialised before workers fork, and a process
// must be single-threaded to fork).
class Sampler {
 public:
  static Sampler& Get() {
    static Sampler* sampler = new Sampler();  // never destroyed: its thread may outlive exit
    return *sampler;
  }

  void Register(const std::shared_ptr<ThreadSlot>& slot) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    slots_.push_back(slot);
    if (started_pid_ != ::getpid()) {
      started_pid_ = ::getpid();
      std::thread([this] { Loop(); }).detach();
    }
  }

  void Unregister(const ThreadSlot* slot) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    std::erase_if(slots_, [&](const std::shared_ptr<ThreadSlot>& s) { return s.get() == slot; });
  }

  void Enter() {
    if (active_.fetch_add(1, std::memory_order_acq_rel) == 0) active_.notify_one();
  }
  void Leave() { active_.fetch_sub(1, std::memory_order_acq_rel); }

  void BeforeFork() ACQUIRE(mu_) { mu_.Lock(); }
  void AfterForkParent() RELEASE(mu_) { mu_.Unlock(); }
  // The child has no sampler thread and only the forking thread: other
  // threads' slots are gone (CPython deleted their thread states).
  void AfterForkChild() RELEASE(mu_) {
    slots_.clear();
    started_pid_ = 0;
    active_.store(0);
    mu_.Unlock();
  }

 private:
  Sampler() : locked_(switchyard_gil_locked_word()), holder_(switchyard_gil_holder_word()) {
    gil_begin_ = switchyard_gil_begin();
    gil_end_ = gil_begin_ + switchyard_gil_size();
  }

  void Loop() {
    const pid_t pid = ::getpid();
    for (;;) {
      while (active_.load(std::memory_order_acquire) == 0) active_.wait(0, std::memory_order_acquire);
      timespec period{0, kSamplePeriodNs};
      ::clock_nanosleep(CLOCK_MONOTONIC, 0, &period, nullptr);
      MutexLock lock(mu_);
      if (started_pid_ != pid) return;  // a forked copy of this loop cannot exist; stay safe anyway
      for (const auto& slot : slots_) {
        if (slot->in_call.load(std::memory_order_acquire)) Classify(*slot);
      }
    }
  }

  void Classify(ThreadSlot& slot) {
    bool locked = __atomic_load_n(locked_, __ATOMIC_RELAXED) == 1;
    uintptr_t holder = __atomic_load_n(holder_, __ATOMIC_RELAXED);
    if (locked && holder == reinterpret_cast<uintptr_t>(slot.tstate)) {
      slot.held.fetch_add(1, std::memory_order_relaxed);
    } else if (BlockedOnGil(slot)) {
      slot.waiting.fetch_add(1, std::memory_order_relaxed);
    } else {
      slot.released.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // "202 0xUADDR ..." while blocked in futex(2): waiting for the GIL when
  // the futex lies inside the GIL's struct (its mutex or a condition).
  bool BlockedOnGil(const ThreadSlot& slot) const {
    if (slot.syscall_fd < 0) return false;
    char buf[128];
    ssize_t n = ::pread(slot.syscall_fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return false;
    buf[n] = '\0';
    char* end = nullptr;
    long nr = std::strtol(buf, &end, 10);
    if (end == buf || nr != SYS_futex) return false;
    uintptr_t uaddr = std::strtoull(end, nullptr, 16);
    return uaddr >= gil_begin_ && uaddr < gil_end_;
  }

  const int* locked_;
  const uintptr_t* holder_;
  uintptr_t gil_begin_ = 0, gil_end_ = 0;
  std::atomic<int> active_{0};  // threads in a call
  Mutex mu_;
  std::vector<std::shared_ptr<ThreadSlot>> slots_ GUARDED_BY(mu_);
  pid_t started_pid_ GUARDED_BY(mu_) = 0;
};

// The calling thread's slot: made on its first call (in this process: a
// forked child re-registers the forking thread's slot).
class ThreadSlotOwner {
 public:
  ~ThreadSlotOwner() {
    if (slot_ == nullptr) return;
    Sampler::Get().Unregister(slot_.get());
    if (slot_->syscall_fd >= 0) ::close(slot_->syscall_fd);
    // Only the process that made the state may free it; the interpreter is
    // never finalised, so it is alive here. Releasing the PyGILState hold
    // taken in Get deletes a state it made (not the main thread's).
    if (slot_->tstate != nullptr && pid_ == ::getpid() && Py_IsInitialized()) {
      PyEval_RestoreThread(slot_->tstate);
      PyGILState_Release(static_cast<PyGILState_STATE>(gilstate_));
    }
  }

  ThreadSlot* Get() {
    if (slot_ != nullptr && pid_ == ::getpid()) return slot_.get();
    if (slot_ == nullptr) {
      slot_ = std::make_shared<ThreadSlot>();
      // The thread's PyGILState state (made now, or the main thread's), held
      // once for the thread's life so it outlasts each call: code that
      // uses PyGILState_Ensure inside a call (pybind11, numpy) then finds
      // the state this thread already holds the GIL with.
      LimitBlasThreadsOfThisThread();
      gilstate_ = PyGILState_Ensure();
      slot_->tstate = PyThreadState_Get();
      PyEval_SaveThread();
    }
    // First call in this process (or in a child forked after our first call:
    // CPython kept this thread's state, the fd and the registry are new).
    if (slot_->syscall_fd >= 0) ::close(slot_->syscall_fd);
    slot_->tid = static_cast<int>(::syscall(SYS_gettid));
    slot_->syscall_fd = ::open("/proc/thread-self/syscall", O_RDONLY | O_CLOEXEC);
    pid_ = ::getpid();
    Sampler::Get().Register(slot_);
    return slot_.get();
  }

 private:
  std::shared_ptr<ThreadSlot> slot_;
  int gilstate_ = 0;  // PyGILState_STATE of Get's hold
  pid_t pid_ = 0;
};

thread_local ThreadSlotOwner t_slot;

}  // namespace

GilCall::GilCall() : slot_(t_slot.Get()) {
  int64_t asked = SteadyClock::Now();
  PyEval_RestoreThread(slot_->tstate);
  started_us_ = SteadyClock::Now();
  entry_wait_us_ = started_us_ - asked;
  held0_ = slot_->held.load(std::memory_order_relaxed);
  waiting0_ = slot_->waiting.load(std::memory_order_relaxed);
  released0_ = slot_->released.load(std::memory_order_relaxed);
  slot_->in_call.store(true, std::memory_order_release);
  Sampler::Get().Enter();
}

GilCall::~GilCall() {
  if (!finished_) Finish(nullptr);
}

void GilCall::Finish(InferStats* stats) {
  finished_ = true;
  slot_->in_call.store(false, std::memory_order_release);
  Sampler::Get().Leave();
  int64_t in_call = SteadyClock::Now() - started_us_;
  PyEval_SaveThread();
  if (stats == nullptr) return;
  uint64_t held = slot_->held.load(std::memory_order_relaxed) - held0_;
  uint64_t waiting = slot_->waiting.load(std::memory_order_relaxed) - waiting0_;
  uint64_t released = slot_->released.load(std::memory_order_relaxed) - released0_;
  uint64_t total = held + waiting + released;
  if (total == 0) {
    stats->gil_hold_us = in_call;
    stats->gil_wait_us = entry_wait_us_;
  } else {
    stats->gil_hold_us = static_cast<int64_t>(static_cast<double>(in_call) * held / total);
    stats->gil_wait_us =
        entry_wait_us_ + static_cast<int64_t>(static_cast<double>(in_call) * waiting / total);
  }
}

// The sampler's lock is taken before fork() and released after it, in the
// parent and in the child: pthread_atfork's three handlers, which the
// analysis sees as three unrelated functions.
void GilMeterBeforeFork() NO_THREAD_SAFETY_ANALYSIS { Sampler::Get().BeforeFork(); }
void GilMeterAfterForkParent() NO_THREAD_SAFETY_ANALYSIS { Sampler::Get().AfterForkParent(); }
void GilMeterAfterForkChild() NO_THREAD_SAFETY_ANALYSIS { Sampler::Get().AfterForkChild(); }

const char* GilSamplerMode() {
  static const char* mode = [] {
    int fd = ::open("/proc/thread-self/syscall", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "holder";
    ::close(fd);
    return "holder+futex";
  }();
  return mode;
}

}  // namespace switchyard::python
