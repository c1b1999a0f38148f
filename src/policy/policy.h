// Policy: a queue discipline deciding which admitted job runs next.
//
// A policy is a pure data structure: no locks, no threads, no clock of its
// own (time is passed in), so it is deterministic and can be unit-tested and
// driven by a simulator. WorkQueue adds the locking and the bound.
//
// fifo, lifo and priority (with aging) so far; sjf, mlfq and drr implement
// the same three calls; `now_us` lets them age or expire jobs.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/request.h"

namespace switchyard {

// Externally synchronized.
class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string_view name() const = 0;
  virtual void Push(Job job, int64_t now_us) = 0;
  // The next job to run, or nullopt when empty.
  virtual std::optional<Job> Pop(int64_t now_us) = 0;
  virtual size_t size() const = 0;
};

// What the policies that need it are configured with.
struct PolicyOptions {
  // priority: Job::priority 1 is the most urgent class, `priority_levels` the
  // least; 0 (a request that names none) is the least urgent class too, so
  // unmarked traffic never overtakes marked traffic — as Triton's priority
  // parameter reads, with its default level set to the lowest.
  int priority_levels = 4;
  // priority: a queued job moves up one class per `aging_us` it has waited,
  // so no class starves; 0 disables aging.
  int64_t aging_us = 0;

  // InvalidArgument naming the bad field.
  Status Validate() const;
};

// Names accepted by CreatePolicy.
std::vector<std::string> PolicyNames();

// InvalidArgument naming the known policies if `name` is not one of them, or
// the problem with `options`.
Result<std::unique_ptr<Policy>> CreatePolicy(std::string_view name, const PolicyOptions& options = {});

std::unique_ptr<Policy> MakeFifoPolicy();
std::unique_ptr<Policy> MakeLifoPolicy();
std::unique_ptr<Policy> MakePriorityPolicy(const PolicyOptions& options);

}  // namespace switchyard
