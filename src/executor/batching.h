// Dynamic batching outside the queue: the jobs a WorkQueue took together
// (same Job::batch_key) stacked into one Job, and that Job's outcome split
// back to each of them.
//
// The stacked job is an ordinary infer Job: every executor runs it as it
// runs any other (a worker process receives it through its channel once),
// and the model sees one inference whose inputs are the members' inputs
// concatenated along the first dimension, in member order. Its on_done
// splits every output along the first dimension by the members' rows and
// answers each member with its own slice — or, when the inference failed or
// an output does not have the batch's rows, each member with the error.
#pragma once

#include <vector>

#include "core/request.h"

namespace switchyard {

// `members` (at least one, equal batch keys): the first is the leader, the
// job the policy chose. Thread-safe (pure); copies the tensors once.
Job StackBatch(std::vector<Job> members);

}  // namespace switchyard
