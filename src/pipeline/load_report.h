// LoadReport: the figures of one pipeline run (`switchyard load`), as a
// human table and as the JSON object `--json` writes (docs/results-schema.md
// lists its fields). A plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "pipeline/pipeline_options.h"

namespace switchyard {

// An item as the consumer receives it: the product (or the file's bytes
// without augmentation) in the batch slot.
struct DeliveredItem {
  int64_t index = 0;  // into the manifest
  const std::byte* data = nullptr;
  int64_t bytes = 0;
};

// A batch as the consumer receives it: its ok items in batch order (skipped
// and failed items are counted, not delivered). Valid only during the
// callback that receives it.
struct DeliveredBatch {
  uint64_t sequence = 0;
  int epoch = 0;
  std::vector<DeliveredItem> items;
};

// One second of the run.
struct TimelinePoint {
  double t_s = 0;  // end of the interval, seconds since the start
  int64_t items = 0;
  double mb_per_s = 0;
  double cpu_utilisation = 0;  // cores busy on average (process tree)
  double starvation = 0;       // share of the interval the consumer waited
  uint64_t pss_bytes = 0;
};

struct LoadReport {
  PipelineOptions options;  // what ran (on_batch cleared)
  int64_t data_files = 0;
  int64_t data_bytes = 0;
  double cache_resident_at_start = 0;  // share of the files' pages in the page cache
  std::string cache_state;             // warm | cold | partial | bypassed (--direct)

  int64_t items = 0;    // delivered
  int64_t bytes = 0;    // read from files (delivered, skipped and failed items)
  int64_t batches = 0;  // delivered
  int64_t skipped = 0;  // shorter than the matrix
  int64_t errors = 0;   // could not be read (missing, unreadable, changed size)
  double setup_s = 0;   // mapping and populating the batch pool, before the clock starts
  double wall_s = 0;    // from starting the workers to the consumer's last step
  double items_per_s = 0;
  double mb_per_s = 0;  // 1 MB = 1e6 bytes read
  double batches_per_s = 0;
  double starvation = 0;  // share of the wall time the consumer waited for a batch
  double batch_wait_ms_p50 = 0, batch_wait_ms_p95 = 0, batch_wait_ms_p99 = 0, batch_wait_ms_max = 0,
         batch_wait_ms_mean = 0;
  double cpu_user_s = 0, cpu_system_s = 0, cpu_utilisation = 0;
  uint64_t voluntary_ctxt_switches = 0, involuntary_ctxt_switches = 0;
  uint64_t pss_bytes = 0;  // peak over the run's samples, process tree
  uint64_t rss_bytes = 0;  // peak, process tree (counts shared pages once per process)
  int workers_replaced = 0;
  int64_t duplicates = 0;  // items delivered more than once in an epoch
  int64_t missing = 0;     // items of an epoch's batches never accounted for
  bool verified = false;
  int64_t verify_mismatches = 0;  // without augmentation: bytes that differ from the manifest's checksum
  std::string digest;             // order-independent digest of (index, item bytes), with --verify
  std::optional<double> page_cache_mb_per_s;  // --baseline
  std::vector<std::string> warnings;          // the first few; warnings_total counts them all
  int64_t warnings_total = 0;
  std::vector<TimelinePoint> timeline;

  nlohmann::json ToJson() const;
  std::string Table() const;
};

}  // namespace switchyard
