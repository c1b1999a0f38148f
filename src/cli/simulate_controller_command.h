// `switchyard simulate-controller`: the adaptive controller's evaluation
// (an adaptive study, studies/adaptive.toml) in virtual time — every candidate static through
// every phase, the per-phase oracle, the best static configuration, and each
// controller algorithm — on demands taken from a recorded trace
// (sim/evaluation.h).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace switchyard {

struct SimulateControllerFlags {
  std::string trace;
  std::string phases;      // empty: replay the trace's own arrivals
  std::string candidates;
  std::string controllers = "ucb,contextual,random,round-robin";
  int cores = 0;           // 0: this machine's
  int io_threads = 0;      // 0: cores
  int64_t ipc_us = 20;
  int64_t request_cpu_us = 0;
  std::string window = "1s";
  std::string warmup = "1s";
  int repeat_phases = 1;
  uint64_t seed = 1;
  std::string predictor = "ewma";
  std::string reward = "throughput-p99";
  int min_dwell = 2;
  int max_visits = 2;
  double switch_margin = 0.05;
  std::string capacity_screen = "on";
  std::string settle = "drained";
  std::string start_threads = "500us";
  std::string start_processes = "5ms";
  std::string start_async = "100us";
  int threads = 0;         // 0: this machine's cores
  std::string json;
  std::string decisions_dir;  // per controller: DIR/decisions-ALGO.jsonl
  std::string compare;     // an adaptive study's results to compare the per-phase winners with
};

void AddSimulateControllerFlags(CLI::App& app, SimulateControllerFlags& flags);
int RunSimulateController(const SimulateControllerFlags& flags);

}  // namespace switchyard
