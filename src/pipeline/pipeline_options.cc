#include "pipeline/pipeline_options.h"

#include <fmt/format.h>

namespace switchyard {

std::string_view LoaderName(LoaderKind kind) {
  switch (kind) {
    case LoaderKind::kSync:
      return "sync";
    case LoaderKind::kThreads:
      return "threads";
    case LoaderKind::kProcesses:
      return "processes";
    case LoaderKind::kAsync:
      return "async";
  }
  return "?";
}

Result<LoaderKind> ParseLoaderKind(std::string_view name) {
  for (LoaderKind k : {LoaderKind::kSync, LoaderKind::kThreads, LoaderKind::kProcesses, LoaderKind::kAsync}) {
    if (name == LoaderName(k)) return k;
  }
  return InvalidArgument(fmt::format("--loader {}: unknown loader (sync, threads, processes or async)", name));
}

Status ValidatePipelineOptions(const PipelineOptions& o) {
  auto range = [](std::string_view flag, double v, double lo, double hi) -> Status {
    if (v < lo || v > hi) return InvalidArgument(fmt::format("{} {}: must be in {} .. {}", flag, v, lo, hi));
    return Status::Ok();
  };
  for (Status s : {range("--workers", o.workers, 1, 256), range("--matrix-size", o.matrix_size, 0, 8192),
                   range("--batch", o.batch, 1, 4096), range("--prefetch", o.prefetch, 1, 64),
                   range("--consumer-ms", o.consumer_ms, 0, 60000), range("--epochs", o.epochs, 1, 1000)}) {
    if (!s.ok()) return s;
  }
  if (o.data_dir.empty()) return InvalidArgument("--data: no data directory given");
  return Status::Ok();
}

}  // namespace switchyard
