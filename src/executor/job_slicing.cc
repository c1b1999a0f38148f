#include "executor/job_slicing.h"

#include <algorithm>
#include <memory>
#include <string>

#include "policy/policy.h"

namespace switchyard {

namespace {

// Units of work left: hashes for the chain (Compute(D, iters) hashes iters+1
// times), milliseconds for sleep.
uint64_t UnitsLeft(const ScoreRequest& r) { return r.mode == ScoreMode::kCpu ? r.iters + 1 : r.sleep_ms; }

// How many units fit in `slice_us`.
uint64_t UnitsPerSlice(const Job& job, int64_t slice_us) {
  const ScoreRequest& r = job.request;
  if (r.mode == ScoreMode::kSleep) return static_cast<uint64_t>(std::max<int64_t>(1, slice_us / 1000));
  // The chain: the predicted cost of what is left, spread over its hashes.
  const uint64_t left = UnitsLeft(r);
  const int64_t predicted_left = std::max<int64_t>(1, job.predicted_us - job.attained_us);
  const double per_unit = static_cast<double>(predicted_left) / static_cast<double>(left);
  return static_cast<uint64_t>(std::max(1.0, static_cast<double>(slice_us) / per_unit));
}

// Raw bytes of the quoted lowercase hex digest a chain slice returns.
std::string DigestBytes(const std::string& quoted_hex) {
  std::string raw;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 1; i + 2 < quoted_hex.size(); i += 2) {
    raw.push_back(static_cast<char>((nibble(quoted_hex[i]) << 4) | nibble(quoted_hex[i + 1])));
  }
  return raw;
}

}  // namespace

Job TakeSlice(Job job, int64_t slice_us, std::function<void(Job)> requeue, const Clock& clock) {
  if (slice_us <= 0 || !IsSliceable(job.request)) return job;
  const uint64_t left = UnitsLeft(job.request);
  const uint64_t units = std::min(left, UnitsPerSlice(job, slice_us));
  // Fits whole and never cut: no wrapper needed. (A job that was cut has
  // units_done > 0; its slices count is reset by mlfq's boosts.)
  if (units >= left && job.units_done == 0) return job;

  Job slice;
  slice.id = job.id;
  slice.arrival_us = job.arrival_us;
  slice.request.mode = job.request.mode;
  if (job.request.mode == ScoreMode::kCpu) {
    slice.request.iters = units - 1;
    slice.request.data = job.request.data;
  } else {
    slice.request.sleep_ms = static_cast<uint32_t>(units);
  }
  auto rest = std::make_shared<Job>(std::move(job));
  slice.on_done = [rest, units, requeue = std::move(requeue), &clock](ScoreOutcome outcome) mutable {
    Job& j = *rest;
    j.attained_us += outcome.service_us;
    j.units_done += units;
    ++j.slices;
    const uint64_t remaining = UnitsLeft(j.request) - units;
    if (!outcome.status.ok() || remaining == 0) {
      if (outcome.status.ok() && j.request.mode == ScoreMode::kSleep) {
        outcome.result = std::to_string(j.units_done);  // what the client asked to sleep
      }
      outcome.service_us = j.attained_us;
      outcome.queue_us = std::max<int64_t>(0, clock.NowMicros() - j.arrival_us - j.attained_us);
      auto done = std::move(j.on_done);
      done(std::move(outcome));
      return;
    }
    if (j.request.mode == ScoreMode::kCpu) {
      j.request.data = DigestBytes(outcome.result);
      j.request.iters = remaining - 1;
      // What the chain really costs here, for the rest and for the next slice.
      const double per_unit = static_cast<double>(j.attained_us) / static_cast<double>(j.units_done);
      j.predicted_us = j.attained_us + static_cast<int64_t>(per_unit * static_cast<double>(remaining));
    } else {
      j.request.sleep_ms = static_cast<uint32_t>(remaining);
    }
    requeue(std::move(j));
  };
  return slice;
}

}  // namespace switchyard
