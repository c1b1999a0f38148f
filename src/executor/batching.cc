#include "executor/batching.h"

#include <algorithm>
#include <memory>
#include <string>

#include "model/tensor.h"

namespace switchyard {
namespace {

// The members' inputs concatenated along the first dimension, or the error.
Result<InferPayload> Stack(const std::vector<Job>& members) {
  InferPayload stacked;
  for (size_t m = 0; m < members.size(); ++m) {
    auto payload = DecodeInferPayload(members[m].request.data);
    if (!payload.ok()) return payload.status();
    if (m == 0) {
      stacked = std::move(payload).value();
      continue;
    }
    if (payload->inputs.size() != stacked.inputs.size())
      return Internal("batch members with different inputs");
    for (size_t i = 0; i < stacked.inputs.size(); ++i) {
      HostTensor& into = stacked.inputs[i];
      const HostTensor& add = payload->inputs[i];
      if (into.shape.empty() || add.shape.size() != into.shape.size() || add.dtype != into.dtype) {
        return Internal("batch members with different input shapes");
      }
      into.shape[0] += add.shape[0];
      into.bytes += add.bytes;
    }
  }
  return stacked;
}

// Each member's share of `outputs` (rows [first, first + rows) of every
// output), or the error when an output does not have `total_rows` rows.
Result<std::vector<std::string>> Split(const std::vector<Job>& members, int64_t total_rows,
                                       std::string_view encoded_outputs) {
  if (members.size() == 1) return std::vector<std::string>{std::string(encoded_outputs)};
  auto outputs = DecodeTensors(encoded_outputs);
  if (!outputs.ok()) return outputs.status();
  for (const HostTensor& t : *outputs) {
    if (t.shape.empty() || t.shape[0] != total_rows) {
      return InvalidArgument("dynamic batching: the model returned output '" + t.name + "' of shape " +
                             ShapeString(t.shape) + " for a batch of " + std::to_string(total_rows) +
                             " rows (a batching model's outputs must keep the first dimension)");
    }
  }
  std::vector<std::string> shares;
  int64_t first = 0;
  for (const Job& member : members) {
    std::vector<HostTensor> share(outputs->size());
    for (size_t k = 0; k < outputs->size(); ++k) {
      const HostTensor& t = (*outputs)[k];
      const size_t row_bytes = t.bytes.size() / static_cast<size_t>(total_rows);
      share[k].name = t.name;
      share[k].dtype = t.dtype;
      share[k].shape = t.shape;
      share[k].shape[0] = member.batch_rows;
      share[k].bytes = t.bytes.substr(static_cast<size_t>(first) * row_bytes,
                                      static_cast<size_t>(member.batch_rows) * row_bytes);
    }
    shares.push_back(EncodeTensors(share));
    first += member.batch_rows;
  }
  return shares;
}

}  // namespace

Job StackBatch(std::vector<Job> members) {
  Job batch;
  const Job& leader = members.front();
  batch.id = leader.id;
  batch.request.mode = ScoreMode::kInfer;
  batch.request.model = leader.request.model;
  batch.request.model_version = leader.request.model_version;
  batch.priority = leader.priority;
  batch.client = leader.client;
  batch.features = leader.features;
  batch.arrival_us = leader.arrival_us;
  int64_t rows = 0;
  bool stop_at_deadline = true;
  for (const Job& m : members) {
    rows += m.batch_rows;
    batch.arrival_us = std::min(batch.arrival_us, m.arrival_us);
    batch.predicted_us += m.predicted_us;
    // A batch is stopped at a deadline only when every member would be; then
    // at the latest of theirs, so no member is stopped before its own.
    stop_at_deadline = stop_at_deadline && m.stop_at_deadline;
    batch.deadline_us = std::max(batch.deadline_us, m.deadline_us);
  }
  batch.stop_at_deadline = stop_at_deadline;
  if (!stop_at_deadline) batch.deadline_us = 0;
  if (members.size() == 1) {
    batch.request.data = std::move(members.front().request.data);
  } else if (auto stacked = Stack(members); stacked.ok()) {
    // (A payload that does not decode reaches the worker empty, and every
    // member is answered with the worker's error.)
    batch.request.data = EncodeInferPayload(*stacked);
  }
  const int64_t batch_arrival = batch.arrival_us;
  auto shared = std::make_shared<std::vector<Job>>(std::move(members));
  batch.on_done = [shared, rows, batch_arrival](ScoreOutcome outcome) {
    std::vector<Job>& jobs = *shared;
    const int64_t start_us = batch_arrival + outcome.queue_us;
    Result<std::vector<std::string>> shares = outcome.status.ok()
                                                  ? Split(jobs, rows, outcome.result)
                                                  : Result<std::vector<std::string>>(outcome.status);
    for (size_t m = 0; m < jobs.size(); ++m) {
      ScoreOutcome own;
      own.status = shares.ok() ? Status::Ok() : shares.status();
      if (shares.ok()) own.result = std::move((*shares)[m]);
      own.queue_us = start_us - jobs[m].arrival_us;
      own.service_us = outcome.service_us;
      own.gil_wait_us = outcome.gil_wait_us;
      own.gil_hold_us = outcome.gil_hold_us;
      own.batch_size = static_cast<int>(jobs.size());
      own.batch_leader = m == 0;
      own.batch_rows = rows;
      own.batch_queue_us = outcome.queue_us;  // from the oldest member's arrival
      jobs[m].on_done(std::move(own));
    }
  };
  return batch;
}

}  // namespace switchyard
