// ServerMetrics: what the frontend observes — replies by HTTP status,
// connection gauges, and latency histograms of executed /score requests.
//
// Every field is an atomic or a LatencyHistogram: safe to update from the
// event loop and from worker threads concurrently, and to read at any time.
// This is the stream /stats renders and a later controller reads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "core/cost_class.h"
#include "metrics/latency_histogram.h"

namespace switchyard {

struct ServerMetrics {
  std::array<std::atomic<uint64_t>, 600> replies_by_status{};  // every reply; index: HTTP status
  std::array<std::atomic<uint64_t>, 600> score_by_status{};    // POST /score replies only
  std::atomic<int64_t> active_connections{0};
  std::atomic<uint64_t> accepted_connections{0};
  std::atomic<uint64_t> refused_connections{0};    // over --max-connections
  std::atomic<uint64_t> timed_out_connections{0};  // too slow to send a request
  std::atomic<int64_t> requests_in_progress{0};    // read, reply not yet written
  std::atomic<uint64_t> reconfigurations{0};
  std::atomic<uint64_t> moved_jobs{0};  // queued jobs a switch moved to the new configuration

  // What the adaptive controller reads (server/server_window.h): the jobs
  // admitted, by cost kind (index: CostKind), their predicted service, and
  // how the executed ones ended.
  std::array<std::atomic<uint64_t>, kCostKinds> admitted_by_kind{};
  std::array<std::atomic<uint64_t>, kCostKinds> admitted_predicted_us{};  // by kind, like admitted_by_kind
  std::atomic<uint64_t> admitted_sleep_us{0};  // the admitted sleeps' own durations
  std::atomic<uint64_t> jobs_ok{0};
  std::atomic<uint64_t> jobs_failed{0};
  // Python models' requests whose GIL was measured: the time they ran
  // (service less GIL wait) and their GIL hold, summed (µs). Never reset: the
  // controller's GIL-held share.
  std::atomic<uint64_t> python_run_us{0};
  std::atomic<uint64_t> python_gil_hold_us{0};
  // Replies to requests with a deadline that ran past it and were answered
  // when they ended (a thread cannot be stopped mid-call; core/request.h).
  std::atomic<uint64_t> late_replies{0};

  // Dynamic batching: inferences run as batches (counted once per batch),
  // by the number of requests in them (index: size, the last counts every
  // larger one), and each batch's queue delay (its oldest member's wait).
  static constexpr size_t kBatchSizes = 65;
  std::array<std::atomic<uint64_t>, kBatchSizes> batches_by_size{};
  std::atomic<uint64_t> batched_rows{0};
  LatencyHistogram batch_queue_us;

  // The two parts of the traffic while a canary runs beside the current
  // configuration (server/executor_slot.h), by who a job was routed to:
  // [0] the current configuration, [1] the canary. Every job counts in one
  // (part 0 when no canary runs). What the controller compares a canary by.
  struct Part {
    std::atomic<uint64_t> admitted{0};
    std::atomic<uint64_t> ok{0};
    std::atomic<uint64_t> failed{0};
    LatencyHistogram total_us;  // admitted -> reply, as total_us below
  };
  std::array<Part, 2> parts;

  LatencyHistogram queue_us;    // admitted -> started
  LatencyHistogram service_us;  // started -> finished
  LatencyHistogram total_us;    // admitted -> reply handed to the event loop

  static void Count(std::array<std::atomic<uint64_t>, 600>& counters, int http_status) {
    if (http_status >= 0 && http_status < 600) {
      counters[static_cast<size_t>(http_status)].fetch_add(1, std::memory_order_relaxed);
    }
  }
  void CountReply(int http_status) { Count(replies_by_status, http_status); }
  void CountScore(int http_status) { Count(score_by_status, http_status); }
};

}  // namespace switchyard
