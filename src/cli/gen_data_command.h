// `switchyard gen-data`: writes a deterministic synthetic data set (binary
// files of seeded random bytes and their manifest) for the loading pipeline.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace switchyard {

struct GenDataFlags {
  int64_t files = 0;
  std::string min = "1MB";
  std::string max = "10MB";
  uint64_t seed = 0;
  std::string out;
  bool force = false;
};

void AddGenDataFlags(CLI::App& app, GenDataFlags& flags);
// Exit status: 0 written, 2 bad flags or an output directory that may not be
// written (or too little space), 1 an I/O failure.
int RunGenData(const GenDataFlags& flags);

}  // namespace switchyard
