// MachineInfo: what a result says about the machine that produced it.
#pragma once

#include <nlohmann/json.hpp>

namespace switchyard {

// {"cores", "cpu" (model name), "kernel", "memory_gib", "hostname"}, read from
// /proc and uname. Thread-safe.
nlohmann::json DescribeMachine();

}  // namespace switchyard
