#include "trace/trace_recorder.h"

#include <cerrno>
#include <cstring>

#include "core/clock.h"
#include "core/json_quote.h"

namespace switchyard {

Result<std::unique_ptr<TraceRecorder>> TraceRecorder::Open(const std::string& path, int64_t start_us) {
  std::FILE* f = std::fopen(path.c_str(), "we");
  if (f == nullptr) {
    return InvalidArgument("cannot write the trace '" + path + "': " + std::strerror(errno));
  }
  return std::unique_ptr<TraceRecorder>(new TraceRecorder(f, start_us));
}

TraceRecorder::~TraceRecorder() {
  MutexLock lock(mu_);
  std::fclose(file_);
}

void TraceRecorder::Record(const PredictorFeatures& features, const TraceRecord& r) {
  char numbers[320];
  const int n =
      std::snprintf(numbers, sizeof numbers,
                    ",\"priority\":%lld,\"input_bytes\":%lld,\"queue_length\":%lld,\"cpu_util\":%.3f,"
                    "\"hour\":%d,\"in_system\":%lld,\"status\":%d}\n",
                    static_cast<long long>(r.priority), static_cast<long long>(features.input_bytes),
                    static_cast<long long>(features.queue_length), features.cpu_utilisation,
                    features.hour_of_day, static_cast<long long>(features.in_system), r.http_status);
  std::string line =
      "{\"arrival_us\":" + std::to_string(std::max<int64_t>(0, r.arrival_us - start_us_)) +
      ",\"service_us\":" + std::to_string(r.service_us) + ",\"queue_us\":" + std::to_string(r.queue_us) +
      ",\"class\":" + JsonQuote(features.cost_class.text()) + ",\"client\":" + JsonQuote(r.client);
  line.append(numbers, n > 0 ? static_cast<size_t>(n) : 0);
  const int64_t now = SteadyClock::Now();
  MutexLock lock(mu_);
  std::fwrite(line.data(), 1, line.size(), file_);
  ++recorded_;
  if (now - last_flush_us_ >= 1'000'000) {
    std::fflush(file_);
    last_flush_us_ = now;
  }
}

uint64_t TraceRecorder::recorded() const {
  MutexLock lock(mu_);
  return recorded_;
}

}  // namespace switchyard
