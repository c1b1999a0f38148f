// `switchyard bench`: a load generator that does not lie (loadgen/).
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace switchyard {

struct BenchFlags {
  std::string url = "http://127.0.0.1:8080/score";
  int connections = 16;
  double rate = 0;  // > 0: open loop
  std::string arrivals = "poisson";
  std::string duration = "10s";
  std::string warmup = "1s";
  uint64_t requests = 0;  // > 0: stop after this many
  std::string mix = "cpu:iters=1000";
  std::string phases_file;
  std::string json_file;
  std::string csv_file;
  int threads = 1;
  uint64_t seed = 1;
  std::string timeout = "10s";
  bool allow_errors = false;
  bool quiet = false;
  std::string protocol = "http";  // http | grpc
};

void AddBenchFlags(CLI::App& app, BenchFlags& flags);
// Exit codes: 0 every request succeeded; 1 the target could not be reached or
// nothing succeeded; 2 bad flags or files; 3 some requests failed (0 with
// --allow-errors).
int RunBench(const BenchFlags& flags, const CLI::App& app);

}  // namespace switchyard
