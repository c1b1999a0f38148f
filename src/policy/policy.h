// Policy: a queue discipline deciding which admitted job runs next.
//
// A policy is a pure data structure: no locks, no threads, no clock of its
// own (time is passed in), so it is deterministic and can be unit-tested and
// driven by a simulator. WorkQueue adds the locking and the bound.
//
// Later policies (lifo, priority with aging, sjf, mlfq, drr) implement the
// same three calls; `now_us` lets them age or expire jobs.
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

// Names accepted by CreatePolicy.
std::vector<std::string> PolicyNames();

// InvalidArgument naming the known policies if `name` is not one of them.
Result<std::unique_ptr<Policy>> CreatePolicy(std::string_view name);

std::unique_ptr<Policy> MakeFifoPolicy();

}  // namespace switchyard
