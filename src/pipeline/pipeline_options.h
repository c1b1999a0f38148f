// PipelineOptions: what one run of the data-loading pipeline (`switchyard load`,
// issue 6) does — which loader, how many workers, the augmentation, batching,
// the consumer — and the checks that reject impossible combinations before
// anything starts. A plain value.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace switchyard {

// How items are read and augmented.
enum class LoaderKind {
  kSync,       // the consumer's own thread does everything, one item at a time
  kThreads,    // N threads each take items, read them and augment them
  kProcesses,  // N forked worker processes each build whole batches in shared memory
  kAsync,      // one io_uring thread keeps many reads in flight; N threads augment
};

std::string_view LoaderName(LoaderKind kind);
Result<LoaderKind> ParseLoaderKind(std::string_view name);

struct DeliveredBatch;

struct PipelineOptions {
  std::string data_dir;
  LoaderKind loader = LoaderKind::kThreads;
  int workers = 2;
  // Augmentation: the first M*M*4 bytes of a file as a row-major FP32 M x M
  // matrix A, multiplied by itself (A*A) through BLAS. 0: no augmentation,
  // the item is the file's bytes.
  int matrix_size = 0;
  int batch = 8;
  // Batches in flight per worker (DataLoader's prefetch_factor): the loader
  // works at most workers * prefetch batches ahead of the consumer.
  int prefetch = 2;
  // The consumer's "training step" per batch.
  double consumer_ms = 0;
  int epochs = 1;
  bool shuffle = false;
  uint64_t seed = 0;
  bool drop_last = false;
  bool in_order = true;  // false: batches are delivered as they are ready
  bool direct = false;   // O_DIRECT reads
  bool cold = false;     // evict the files from the page cache before each epoch
  bool strict = false;   // a file too short for the matrix fails the run
  bool verify = false;   // check every delivered item's bytes
  bool progress = false; // a line on stderr about once a second
  // Measure the page-cache read bandwidth on the data set first
  // (MeasurePageCacheBandwidth), to compare the run with.
  bool page_cache_baseline = false;

  // Test seam, called on the consumer's thread with every batch delivered
  // (after verification, before the consumer's step). May kill a worker.
  std::function<void(const DeliveredBatch&)> on_batch;

  // Bytes of the matrix an item needs (0 when matrix_size is 0).
  int64_t MatrixBytes() const { return int64_t{matrix_size} * matrix_size * 4; }
};

// Checks ranges and combinations (workers 1..256, matrix 0..8192, batch
// 1..4096, prefetch 1..64, consumer 0..60000 ms, epochs 1..1000);
// InvalidArgument naming the flag otherwise.
Status ValidatePipelineOptions(const PipelineOptions& options);

}  // namespace switchyard
