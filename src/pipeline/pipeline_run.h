// RunPipeline: one run of the data-loading pipeline — the coordinator that
// drives a loader (batch_source.h) and plays the consumer.
//
// The coordinator runs on the calling thread. It plans each epoch's batches
// (epoch_plan.h), keeps up to workers x prefetch of them in the loader's
// hands, receives them complete, reorders them for in-order delivery, checks
// every item is delivered exactly once per epoch (and its bytes, with
// verify), then plays the training step (a sleep of consumer_ms) and hands
// the slot back. The time it spends waiting for the next batch is the
// consumer's starvation. Once a second it samples the process tree (CPU,
// context switches, PSS) into the timeline.
//
// Not reentrant with other work that forks: the processes loader needs the
// calling process to be single-threaded when it starts (checked).
#pragma once

#include "core/status.h"
#include "data/data_set.h"
#include "pipeline/pipeline_options.h"
#include "pipeline/load_report.h"

namespace switchyard {

// Errors: InvalidArgument / NotFound for options or a data directory that
// cannot be used (nothing ran); Internal when the run failed (an I/O error
// of the machinery, --strict and a short or unreadable file, workers that
// keep dying), naming the file or worker. Unreadable files without --strict
// are counted in the report (errors, warnings), not an error of the run.
Result<LoadReport> RunPipeline(const PipelineOptions& options);

// The machine's page-cache read bandwidth on the data set, MB/s: `threads`
// threads pread() every file, after a pass that warms the cache; the best of
// three passes each of 1 MiB preads into a buffer that stays in the CPU cache
// (what dd or cat measure) and of whole-file preads into a reused buffer of
// the largest file.
Result<double> MeasurePageCacheBandwidth(const Manifest& manifest, int threads);

// Share of the data set's pages resident in the page cache (mincore).
double PageCacheResidency(const Manifest& manifest);

// Asks the kernel to drop the data set's pages from the page cache
// (posix_fadvise DONTNEED; clean pages go at once, no privileges needed).
void EvictFromPageCache(const Manifest& manifest);

}  // namespace switchyard
