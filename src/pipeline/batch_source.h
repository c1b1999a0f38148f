// BatchSource: a loader as the coordinator sees it — it is handed batch
// slots to fill (their item indices already written) and reports them
// complete. One implementation per loader kind, each in its own file.
//
// Contract: Submit, WaitComplete and Stop are called from one thread, the
// coordinator's. A submitted slot belongs to the source until WaitComplete
// returns it; it is returned exactly once, with every item's status set,
// even if a worker died on the way (processes: the batch is rebuilt by the
// worker's replacement). Which order completions come in is the source's
// business; the coordinator reorders for in-order delivery.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/status.h"
#include "pipeline/item_loader.h"

namespace switchyard {

class BatchSource {
 public:
  virtual ~BatchSource() = default;

  // Starts the workers. Called once, before anything else.
  virtual Status Start() = 0;
  // Which of the free slots (a non-empty list) the next batch goes into, as
  // an index into the list. Any will do unless slots belong to workers.
  virtual size_t ChooseSlot(const std::vector<int>& free_slots) { return free_slots.size() - 1; }
  // Hands over a slot to fill.
  virtual Status Submit(int slot) = 0;
  // A completed slot, or nullopt once `deadline_us` (SteadyClock, us) has
  // passed with none. An error means the source cannot go on.
  virtual Result<std::optional<int>> WaitComplete(int64_t deadline_us) = 0;
  // Stops and joins the workers; slots still submitted are abandoned.
  virtual void Stop() = 0;

  // Worker processes started to replace ones that died (processes only).
  virtual int workers_replaced() const { return 0; }
  // The worker processes alive now (processes only).
  virtual std::vector<pid_t> worker_pids() const { return {}; }
};

// The source of options.loader over `loader` (which must outlive it).
std::unique_ptr<BatchSource> MakeSyncSource(const ItemLoader& loader);
std::unique_ptr<BatchSource> MakeThreadSource(const ItemLoader& loader, int workers);
std::unique_ptr<BatchSource> MakeProcessSource(const ItemLoader& loader, int workers);
std::unique_ptr<BatchSource> MakeUringSource(const ItemLoader& loader, int augment_threads);

}  // namespace switchyard
