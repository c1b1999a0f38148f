// LoadPhase: one stretch of a load run with its own offered load and mix.
//
// Closed loop: `connections` clients, each sending its next request when the
// last is answered. Open loop: requests at `rate` per second on a precomputed
// schedule, over a pool of at most `connections` connections.
//
// A phases file (switchyard bench --phases FILE) is TOML, one table per phase:
//
//   [[phase]]
//   name = "steady"          # optional; default "phase N"
//   duration = "20s"
//   rate = 300               # open loop; or connections = 32 (closed loop)
//   arrivals = "poisson"     # open loop only: poisson (default) | constant
//   connections = 128        # open loop: the pool's cap (default 256)
//   mix = "cpu:iters=20000:1"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "loadgen/arrival_schedule.h"
#include "loadgen/request_mix.h"

namespace switchyard {

inline constexpr int kDefaultOpenLoopConnections = 256;
inline constexpr int kMaxConnections = 10000;

struct LoadPhase {
  std::string name;
  int64_t duration_us = 10'000'000;
  std::optional<double> rate;  // set: open loop
  int connections = 16;        // closed loop: clients; open loop: pool cap
  Arrivals arrivals = Arrivals::kPoisson;
  RequestMix mix;

  bool open_loop() const { return rate.has_value(); }
  // {"mode":"closed","connections":C} or {"mode":"open","rate":R,...}, as JSON text.
  std::string LoadJson() const;
};

// Reads and checks a phases file; every problem names the file, line and key.
Result<std::vector<LoadPhase>> LoadPhasesFile(const std::string& path);
// The same from TOML text (`name` stands for the file in messages).
Result<std::vector<LoadPhase>> ParsePhases(std::string_view toml_text, const std::string& name);

}  // namespace switchyard
