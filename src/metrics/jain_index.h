// Jain's fairness index: how evenly something (service, throughput) was
// shared. The load generator reports it across clients, the simulator across
// the trace's clients.
#pragma once

#include <optional>
#include <vector>

namespace switchyard {

// (sum x)^2 / (n * sum x^2): 1 when all are equal, 1/n when one gets
// everything. nullopt for fewer than 2 values or when all are 0. Pure.
std::optional<double> JainIndex(const std::vector<double>& x);

}  // namespace switchyard
