// Clang thread-safety annotations and an annotated mutex.
//
// With clang and -Wthread-safety (the clang build: scripts/test.sh --clang,
// run by CI) the compiler checks that every field marked GUARDED_BY(mu_) is
// touched only with mu_ held, that a function marked REQUIRES(mu_) is called
// with it held and one marked EXCLUDES(mu_) without; with g++ the macros
// vanish. Every mutex in switchyard is a Mutex, so every one is checked.
//
// Condition variables wait on MutexLock::native(); a wait predicate that
// reads guarded fields says so: [&]() REQUIRES(mu_) { return !queue_.empty(); }.
#pragma once

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define SWITCHYARD_TSA(x) __attribute__((x))
#else
#define SWITCHYARD_TSA(x)
#endif

// Abseil's thread_annotations.h (which gRPC's headers include) defines three
// of these names with the same meaning; a file that includes both gets ours.
#undef GUARDED_BY
#undef PT_GUARDED_BY
#undef NO_THREAD_SAFETY_ANALYSIS

#define CAPABILITY(x) SWITCHYARD_TSA(capability(x))
#define SCOPED_CAPABILITY SWITCHYARD_TSA(scoped_lockable)
#define GUARDED_BY(x) SWITCHYARD_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) SWITCHYARD_TSA(pt_guarded_by(x))
#define REQUIRES(...) SWITCHYARD_TSA(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) SWITCHYARD_TSA(acquire_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) SWITCHYARD_TSA(try_acquire_capability(__VA_ARGS__))
#define RELEASE(...) SWITCHYARD_TSA(release_capability(__VA_ARGS__))
#define EXCLUDES(...) SWITCHYARD_TSA(locks_excluded(__VA_ARGS__))
#define RETURN_CAPABILITY(x) SWITCHYARD_TSA(lock_returned(x))
// For the rare function whose locking the analysis cannot follow (a lock
// taken in one fork handler and released in another); say why beside it.
#define NO_THREAD_SAFETY_ANALYSIS SWITCHYARD_TSA(no_thread_safety_analysis)

namespace switchyard {

// A std::mutex the analysis knows. Not recursive; not copyable.
class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  bool TryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

// Holds a Mutex for its scope. Unlock() and Lock() let a scope give the
// mutex up around slow work (the analysis follows them).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.native()) {}
  ~MutexLock() RELEASE() = default;
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() RELEASE() { lock_.unlock(); }
  void Lock() ACQUIRE() { lock_.lock(); }
  // For condition-variable waits under this lock.
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace switchyard
