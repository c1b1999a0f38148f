// Clock: the one source of time for queueing and service measurements.
//
// Injected so policies and the simulator of a later issue can run on a
// ManualClock in tests, deterministically. All times are microseconds on a
// monotonic clock; only differences between them mean anything.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace switchyard {

// Thread-safe: implementations must allow concurrent NowMicros() calls.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMicros() const = 0;
};

// CLOCK_MONOTONIC through std::chrono::steady_clock. Comparable across the
// processes of one machine, so worker processes can stamp times too.
class SteadyClock final : public Clock {
 public:
  int64_t NowMicros() const override { return Now(); }
  static int64_t Now() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static SteadyClock& Instance() {
    static SteadyClock clock;
    return clock;
  }
};

// Time moves only when a test says so.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_us = 0) : now_(start_us) {}
  int64_t NowMicros() const override { return now_.load(std::memory_order_relaxed); }
  void Advance(int64_t us) { now_.fetch_add(us, std::memory_order_relaxed); }
  void Set(int64_t us) { now_.store(us, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace switchyard
