#include "cli/gen_data_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "data/data_set.h"

namespace switchyard {

void AddGenDataFlags(CLI::App& app, GenDataFlags& flags) {
  app.add_option("--files", flags.files, "Number of files to write")
      ->check(CLI::Range(int64_t{1}, kMaxDataFiles))
      ->required();
  app.add_option("--min", flags.min,
                 "Smallest file size: bytes, or KB/MB/GB (1000-based) or KiB/MiB/GiB (1024-based)")
      ->capture_default_str();
  app.add_option("--max", flags.max, "Largest file size (at most 1GiB); sizes are uniform in [min, max]")
      ->capture_default_str();
  app.add_option("--seed", flags.seed, "Seed: the same flags give byte-identical files")
      ->capture_default_str();
  app.add_option("--out", flags.out, "Directory to write (created if needed)")->required();
  app.add_flag("--force", flags.force,
               "Replace a previous data set in --out, or write into a non-empty directory");
}

int RunGenData(const GenDataFlags& flags) {
  DataSetOptions options;
  options.files = flags.files;
  options.seed = flags.seed;
  options.out_dir = flags.out;
  options.force = flags.force;
  auto min = ParseByteSize(flags.min);
  auto max = ParseByteSize(flags.max);
  if (!min.ok() || !max.ok()) {
    std::fprintf(stderr, "switchyard gen-data: %s: %s\n", min.ok() ? "--max" : "--min",
                 (min.ok() ? max : min).status().message().c_str());
    return 2;
  }
  options.min_bytes = *min;
  options.max_bytes = *max;

  auto state = InspectOutputDir(flags.out);
  if (state.ok() && flags.force) {
    if (*state == OutputDirState::kDataSet) {
      std::fprintf(stderr, "gen-data: replacing the data set in %s (--force)\n", flags.out.c_str());
    } else if (*state == OutputDirState::kOtherFiles) {
      std::fprintf(stderr,
                   "gen-data: writing into non-empty %s (--force); only its item-*.bin files are replaced\n",
                   flags.out.c_str());
    }
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto last = t0;
  auto m = GenerateDataSet(options, [&](const GenProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::seconds(1)) return;
    last = now;
    std::fprintf(stderr, "gen-data: %lld/%lld files, %.1f/%.1f MB (%.0f%%)\n",
                 static_cast<long long>(p.files_done), static_cast<long long>(p.files_total),
                 static_cast<double>(p.bytes_done) / 1e6, static_cast<double>(p.bytes_total) / 1e6,
                 100.0 * static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total));
  });
  if (!m.ok()) {
    std::fprintf(stderr, "switchyard gen-data: %s\n", m.status().message().c_str());
    return m.status().code() == StatusCode::kInternal ? 1 : 2;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double mb = static_cast<double>(m->total_bytes) / 1e6;
  std::printf(
      "gen-data: wrote %lld files, %.1f MB (%lld bytes) to %s in %.2f s (%.0f MB/s, flushed to disk); "
      "manifest %s/%s\n",
      static_cast<long long>(m->files), mb, static_cast<long long>(m->total_bytes), flags.out.c_str(), secs,
      secs > 0 ? mb / secs : 0.0, flags.out.c_str(), kManifestName);
  return 0;
}

}  // namespace switchyard
