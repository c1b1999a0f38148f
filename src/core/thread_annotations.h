// Clang thread-safety annotations and an annotated mutex.
//
// With clang and -Wthread-safety the compiler checks that every field marked
// GUARDED_BY(mu_) is touched only with mu_ held; with g++ the macros vanish.
#pragma once

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define SWITCHYARD_TSA(x) __attribute__((x))
#else
#define SWITCHYARD_TSA(x)
#endif

#define CAPABILITY(x) SWITCHYARD_TSA(capability(x))
#define SCOPED_CAPABILITY SWITCHYARD_TSA(scoped_lockable)
#define GUARDED_BY(x) SWITCHYARD_TSA(guarded_by(x))
#define REQUIRES(...) SWITCHYARD_TSA(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) SWITCHYARD_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) SWITCHYARD_TSA(release_capability(__VA_ARGS__))
#define EXCLUDES(...) SWITCHYARD_TSA(locks_excluded(__VA_ARGS__))

namespace switchyard {

class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.native()) {}
  ~MutexLock() RELEASE() = default;
  // For condition-variable waits under this lock.
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace switchyard
