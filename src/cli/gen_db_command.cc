#include "cli/gen_db_command.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "workload/kv_store.h"

namespace switchyard {

void AddGenDbFlags(CLI::App& app, GenDbFlags& flags) {
  app.add_option("--rows", flags.rows, "Rows to write: keys 0..rows-1")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}))
      ->capture_default_str();
  app.add_option("--out", flags.out, "SQLite file to write (replaced atomically if it exists)")
      ->required();
}

int RunGenDb(const GenDbFlags& flags) {
  auto t0 = std::chrono::steady_clock::now();
  auto last = t0;
  Status s = GenerateKvDatabase(flags.out, flags.rows, [&](int64_t done) {
    auto now = std::chrono::steady_clock::now();
    if (now - last >= std::chrono::seconds(1) || done == flags.rows) {
      last = now;
      std::fprintf(stderr, "gen-db: %lld/%lld rows (%.0f%%)\n", static_cast<long long>(done),
                   static_cast<long long>(flags.rows), 100.0 * static_cast<double>(done) / static_cast<double>(flags.rows));
    }
  });
  if (!s.ok()) {
    std::fprintf(stderr, "switchyard gen-db: %s\n", s.message().c_str());
    return 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("gen-db: wrote %lld rows to %s in %.2f s\n", static_cast<long long>(flags.rows),
              flags.out.c_str(), secs);
  return 0;
}

}  // namespace switchyard
