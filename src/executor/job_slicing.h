// Slicing: running a preemptible job a quantum at a time (mlfq).
//
// A slice is an ordinary request for part of the work, so every executor runs
// it unchanged (threads, processes, async): the SHA-256 chain continues from
// the digest the last slice returned (Compute(D, n) = SHA^(n+1)(D), so the
// rest of a chain is itself a chain over that digest), and a sleep sleeps the
// rest. When a slice ends with work left, its job goes back to the queue with
// the rest as its request; the last slice answers the client with the result
// of the whole, its total service time and its total queueing time.
#pragma once

#include <cstdint>
#include <functional>

#include "core/clock.h"
#include "core/request.h"

namespace switchyard {

// Takes `job`, just popped, and returns what to run now: `job` itself when it
// is not sliceable, or all its remaining work fits in `slice_us` and it has
// never been sliced; otherwise a slice of about `slice_us` whose completion
// calls `requeue` with the rest (the original job, its request replaced by
// the remainder, attained_us / slices / units_done advanced) or finishes the
// job. `requeue` must accept the job whatever the queue's bound or state.
// The size of a chain slice comes from job.predicted_us (refined from the
// measured rate after the first slice).
Job TakeSlice(Job job, int64_t slice_us, std::function<void(Job)> requeue, const Clock& clock);

}  // namespace switchyard
