// `switchyard gen-db`: writes the deterministic SQLite kv database.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace switchyard {

struct GenDbFlags {
  int64_t rows = 100000;
  std::string out;
};

void AddGenDbFlags(CLI::App& app, GenDbFlags& flags);
int RunGenDb(const GenDbFlags& flags);

}  // namespace switchyard
