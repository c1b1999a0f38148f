// `switchyard simulate`: replays a request trace under a policy and a worker
// count in virtual time (sim/simulator.h).
#pragma once

#include <string>

#include "executor/executor.h"

namespace CLI {
class App;
}

namespace switchyard {

struct SimulateFlags {
  std::string trace;
  int workers = 2;
  // --policy and its options, as serve takes them (the rest of it unused).
  ExecutorConfig scheduling;
  std::string predictor = "ewma";  // ewma, oracle, or a train-predictor model file
  std::string json;
};

void AddSimulateFlags(CLI::App& app, SimulateFlags& flags);
int RunSimulate(const SimulateFlags& flags);

}  // namespace switchyard
