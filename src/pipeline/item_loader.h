// ItemLoader: reading one file and augmenting it into its batch slot — the
// work every loader shares, whatever runs it (the consumer's thread, a worker
// thread, a worker process, or an io_uring thread plus augment threads).
//
// Thread-safety: an ItemLoader is immutable after construction and may be
// used from any number of threads and forked processes at once; each caller
// brings its own scratch buffer, and each item's slot area is written by
// exactly one caller (batch_layout.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"
#include "data/data_set.h"
#include "pipeline/batch_layout.h"
#include "pipeline/batch_pool.h"
#include "pipeline/pipeline_options.h"

namespace switchyard {

// Page-aligned anonymous memory, populated at creation (usable for O_DIRECT).
// Movable, not copyable; not synchronized.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(int64_t bytes);  // aborts if the mapping fails
  AlignedBuffer(AlignedBuffer&& other) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  ~AlignedBuffer();

  std::byte* data() const { return data_; }
  int64_t size() const { return size_; }

 private:
  std::byte* data_ = nullptr;
  int64_t size_ = 0;
};

// Makes BLAS run each product on the calling thread only: the loaders bring
// their own parallelism, and a BLAS thread pool under each of N workers would
// oversubscribe the cores (and make results depend on the thread count).
// Uses openblas_set_num_threads when the selected BLAS is OpenBLAS. Per
// thread: OpenMP OpenBLAS sizes each product's team from the calling
// thread's OpenMP setting, so every thread that multiplies calls this first.
void UseSingleThreadedBlas();

// C = A * A for the row-major FP32 n x n matrix A at `a` (any alignment the
// platform's float needs): cblas_sgemm.
void MultiplyBySelf(const float* a, int n, float* c);

// Reads the whole of `path` into `buffer` (capacity at least
// AlignUp(expected_size, 4096)), with O_DIRECT when `direct`. Sets the
// record's status (kOk, kOpenFailed, kReadFailed, kSizeChanged), error and
// bytes_read.
void ReadWholeFile(const std::string& path, int64_t expected_size, bool direct, std::byte* buffer,
                   int64_t capacity, ItemRecord& record);

class ItemLoader {
 public:
  ItemLoader(const Manifest& manifest, const PipelineOptions& options, const BatchPool& pool)
      : manifest_(manifest), options_(options), pool_(pool) {}

  // Bytes a scratch buffer needs (0 when items are read straight into their
  // slot, i.e. without augmentation).
  int64_t ScratchBytes() const;

  // Reads and augments item `item` of `slot` (its index set by the
  // coordinator) into the slot; `scratch` has ScratchBytes().
  void Load(int slot, int item, std::byte* scratch) const;

  // The second half of Load, for loaders that read elsewhere: augments the
  // file bytes at `data` (record.bytes_read of them, already read with
  // status kOk) into the slot.
  void Augment(int slot, int item, const std::byte* data) const;

  // Where the file of item `item` of `slot` is to be read to: the slot
  // itself without augmentation, else nullptr (a scratch buffer).
  std::byte* DirectTarget(int slot, int item) const;

  const Manifest& manifest() const { return manifest_; }
  const PipelineOptions& options() const { return options_; }
  const BatchPool& pool() const { return pool_; }

 private:
  const Manifest& manifest_;
  const PipelineOptions& options_;
  const BatchPool& pool_;
};

// The largest file of the manifest, 4 KiB aligned: the capacity an item read
// needs.
int64_t ReadCapacity(const Manifest& manifest);

}  // namespace switchyard
