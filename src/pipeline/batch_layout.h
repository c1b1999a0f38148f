// BatchLayout: where a batch and its items live in a slot of the batch pool.
//
// A slot is one batch: a header (the batch's identity and, per item, the file
// index, what happened and where its bytes are) followed by one payload area
// per item. Slots live in one mapping (batch_pool.h) shared with worker
// processes, so a finished batch crosses from a worker to the consumer as a
// slot number — no copy, no serialisation. Every offset is 4 KiB aligned so
// O_DIRECT can read straight into a payload.
//
// Who writes what: the coordinator fills the header's identity and the item
// indices before handing the slot to a loader; the loader then owns the slot
// (statuses and payloads) until it reports the batch complete; then the
// consumer reads it until it releases the slot.
#pragma once

#include <cstddef>
#include <cstdint>

namespace switchyard {

// What became of one item.
enum class ItemStatus : int32_t {
  kPending = 0,
  kOk = 1,
  kSkippedShort = 2,  // shorter than the matrix: skipped (an error with --strict)
  kOpenFailed = 3,    // errno in `error`
  kReadFailed = 4,    // errno in `error`
  kSizeChanged = 5,   // the file is not the size the manifest lists
};

struct ItemRecord {
  int64_t index = 0;       // into the manifest's items
  ItemStatus status = ItemStatus::kPending;
  int32_t error = 0;       // errno for kOpenFailed / kReadFailed
  int64_t bytes_read = 0;  // bytes of the file read
  int64_t payload_bytes = 0;  // bytes of the item in its payload area
};

inline constexpr int kMaxBatch = 4096;

// At the start of a slot; `count` ItemRecords follow it (ItemsOf).
struct BatchHeader {
  uint64_t sequence = 0;  // position in the run's delivery order (0, 1, ...)
  int32_t epoch = 0;
  int32_t count = 0;  // items in this batch (the last one may be short)
};

inline ItemRecord* ItemsOf(BatchHeader* header) {
  return reinterpret_cast<ItemRecord*>(reinterpret_cast<char*>(header) + sizeof(BatchHeader));
}
inline const ItemRecord* ItemsOf(const BatchHeader* header) {
  return reinterpret_cast<const ItemRecord*>(reinterpret_cast<const char*>(header) + sizeof(BatchHeader));
}

inline constexpr int64_t kPayloadAlign = 4096;

inline constexpr int64_t AlignUp(int64_t n, int64_t a) { return (n + a - 1) / a * a; }

// The sizes of one slot for a batch size and per-item payload capacity.
struct BatchLayout {
  int batch = 1;
  int64_t item_capacity = 0;  // payload bytes per item, 4 KiB aligned

  int64_t HeaderBytes() const {
    return AlignUp(static_cast<int64_t>(sizeof(BatchHeader) + sizeof(ItemRecord) * static_cast<size_t>(batch)),
                   kPayloadAlign);
  }
  int64_t SlotBytes() const { return HeaderBytes() + item_capacity * batch; }
  int64_t PayloadOffset(int item) const { return HeaderBytes() + item_capacity * item; }
};

}  // namespace switchyard
