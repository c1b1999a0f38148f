// TraceRecorder: `serve --trace-out FILE` — one JSON line per answered
// request, in the trace format of trace/trace.h with the recorded fields
// (queue_us, input_bytes, queue_length, cpu_util, hour, status). What the
// simulator replays and train-predictor learns from.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "core/predictor_features.h"
#include "core/status.h"
#include "core/thread_annotations.h"

namespace switchyard {

struct TraceRecord {
  int64_t arrival_us = 0;  // SteadyClock; written relative to the recorder's start
  int64_t service_us = 0;
  int64_t queue_us = 0;
  std::string client;
  int64_t priority = 0;
  int http_status = 0;
};

// Thread-safe: Record may be called from any thread. Lines are written whole
// (buffered; flushed at least every second of recording and on destruction).
class TraceRecorder {
 public:
  // Creates or truncates `path`. InvalidArgument naming it when it cannot.
  static Result<std::unique_ptr<TraceRecorder>> Open(const std::string& path, int64_t start_us);
  ~TraceRecorder();

  void Record(const PredictorFeatures& features, const TraceRecord& record) EXCLUDES(mu_);
  uint64_t recorded() const EXCLUDES(mu_);

 private:
  TraceRecorder(std::FILE* file, int64_t start_us) : file_(file), start_us_(start_us) {}

  mutable Mutex mu_;
  std::FILE* file_ GUARDED_BY(mu_);
  const int64_t start_us_;
  int64_t last_flush_us_ GUARDED_BY(mu_) = 0;
  uint64_t recorded_ GUARDED_BY(mu_) = 0;
};

}  // namespace switchyard
