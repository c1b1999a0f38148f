#include "cli/load_command.h"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "pipeline/pipeline_run.h"

namespace switchyard {

void AddLoadFlags(CLI::App& app, LoadFlags& flags) {
  PipelineOptions& o = flags.options;
  app.footer(
      "Each item: the whole file is read; with --matrix-size M > 0 its first M*M*4 bytes are an FP32 M x M matrix A\n"
      "and the item is A*A (BLAS sgemm, one thread per worker); a file shorter than that is skipped (counted).\n"
      "Loaders: sync (one thread does everything), threads (N threads read and augment), processes (N forked\n"
      "workers build whole batches in shared memory and pass only the slot number; a worker that dies is\n"
      "replaced and its batches read again), async (io_uring reads, many in flight; N threads augment).\n"
      "Starvation is the share of the run the consumer spent waiting for a batch (the seed's GPU starvation).\n"
      "Exit status: 0 ok; 1 the run failed or some files could not be read; 2 bad flags or data directory.");
  app.add_option("--data", o.data_dir, "Data set directory (written by `switchyard gen-data`)")->required();
  app.add_option("--loader", flags.loader, "sync | threads | processes | async")->capture_default_str();
  app.add_option("--workers", o.workers, "Worker threads or processes (async: augment threads; sync ignores it)")
      ->capture_default_str();
  app.add_option("--matrix-size", o.matrix_size, "M: augment with an M x M FP32 matrix product; 0 = pure I/O")
      ->capture_default_str();
  app.add_option("--batch", o.batch, "Items per batch")->capture_default_str();
  app.add_option("--prefetch", o.prefetch, "Batches in flight per worker (DataLoader's prefetch_factor)")
      ->capture_default_str();
  app.add_option("--consumer-ms", o.consumer_ms, "The consumer's training step per batch, ms (a sleep)")
      ->capture_default_str();
  app.add_option("--epochs", o.epochs, "Passes over the data set")->capture_default_str();
  app.add_flag("--shuffle", o.shuffle, "Shuffle each epoch (with --seed)");
  app.add_option("--seed", o.seed, "Seed of the shuffle")->capture_default_str();
  app.add_flag("--drop-last", o.drop_last, "Drop an epoch's last batch when it is not full");
  app.add_option("--delivery", flags.delivery, "in-order (sampler order) | as-ready (whichever batch is done first)")
      ->capture_default_str();
  app.add_flag("--direct", o.direct, "Read with O_DIRECT (bypass the page cache)");
  app.add_flag("--cold", o.cold, "Drop the data set's pages from the page cache before each epoch");
  app.add_flag("--strict", o.strict, "Fail on a file too short for the matrix or unreadable, instead of counting it");
  app.add_flag("--verify", o.verify,
               "The consumer checks every item: its bytes against the manifest's XXH64 (M = 0) and a digest of all "
               "(index, item) pairs, equal across loaders");
  app.add_flag("--baseline", o.page_cache_baseline,
               "First measure the page-cache read bandwidth on these files (N threads, 1 MiB preads) to compare with");
  app.add_option("--json", flags.json, "Write the figures as JSON to FILE ('-': stdout)");
  app.add_flag("--quiet", flags.quiet, "No progress or table on the terminal (warnings still go to stderr)");
}

int RunLoad(LoadFlags& flags) {
  PipelineOptions& o = flags.options;
  auto kind = ParseLoaderKind(flags.loader);
  if (!kind.ok()) {
    std::fprintf(stderr, "switchyard load: %s\n", kind.status().message().c_str());
    return 2;
  }
  o.loader = *kind;
  if (flags.delivery == "in-order") {
    o.in_order = true;
  } else if (flags.delivery == "as-ready") {
    o.in_order = false;
  } else {
    std::fprintf(stderr, "switchyard load: --delivery %s: in-order or as-ready\n", flags.delivery.c_str());
    return 2;
  }
  o.progress = !flags.quiet;
  // A dead worker's pipe must fail a write with EPIPE, not kill us.
  std::signal(SIGPIPE, SIG_IGN);

  auto report = RunPipeline(o);
  if (!report.ok()) {
    std::fprintf(stderr, "switchyard load: %s\n", report.status().message().c_str());
    const StatusCode c = report.status().code();
    return c == StatusCode::kInvalidArgument || c == StatusCode::kNotFound ? 2 : 1;
  }
  if (!flags.quiet || flags.json.empty()) {
    std::fputs(report->Table().c_str(), flags.json == "-" ? stderr : stdout);
  }
  if (!flags.json.empty()) {
    const std::string text = report->ToJson().dump(2) + "\n";
    if (flags.json == "-") {
      std::fputs(text.c_str(), stdout);
    } else if (Status s = WriteFileAtomically(flags.json, text); !s.ok()) {
      std::fprintf(stderr, "switchyard load: --json %s: %s\n", flags.json.c_str(), s.message().c_str());
      return 1;
    }
  }
  if (report->errors > 0) {
    std::fprintf(stderr, "switchyard load: %lld file(s) could not be read (see the warnings)\n",
                 static_cast<long long>(report->errors));
    return 1;
  }
  return 0;
}

}  // namespace switchyard
