// BatchPool: the slots batches are built in, one anonymous mapping made
// before any worker starts, reused for the whole run.
//
// Shared (MAP_SHARED) when worker processes fill slots, private otherwise;
// either way the pages are populated up front, so a run pays for fresh
// memory once (first touch of a page costs ~11 us on the reference VM), not
// per batch. Not synchronized: slot ownership is handed over by the
// coordinator (batch_layout.h says who writes what when).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"
#include "pipeline/batch_layout.h"

namespace switchyard {

class BatchPool {
 public:
  // Maps `slots` slots of `layout`. InvalidArgument when that is more than
  // half of the memory available now (naming the sizes), Internal when the
  // mapping fails.
  static Result<BatchPool> Create(const BatchLayout& layout, int slots, bool shared);

  BatchPool(BatchPool&& other) noexcept;
  BatchPool& operator=(BatchPool&&) = delete;
  BatchPool(const BatchPool&) = delete;
  ~BatchPool();

  int slots() const { return slots_; }
  const BatchLayout& layout() const { return layout_; }
  int64_t bytes() const { return layout_.SlotBytes() * slots_; }

  std::byte* base() const { return base_; }
  BatchHeader* Header(int slot) const { return reinterpret_cast<BatchHeader*>(SlotBase(slot)); }
  std::byte* Payload(int slot, int item) const { return SlotBase(slot) + layout_.PayloadOffset(item); }

 private:
  BatchPool(const BatchLayout& layout, int slots, std::byte* base) : layout_(layout), slots_(slots), base_(base) {}
  std::byte* SlotBase(int slot) const { return base_ + layout_.SlotBytes() * slot; }

  BatchLayout layout_;
  int slots_ = 0;
  std::byte* base_ = nullptr;
};

// MemAvailable from /proc/meminfo, bytes (0 if it cannot be read).
int64_t MemAvailableBytes();

}  // namespace switchyard
