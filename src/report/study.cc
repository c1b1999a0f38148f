#include "report/study.h"

#include <algorithm>

namespace switchyard::report {

int Cell::NamedClients() const {
  return static_cast<int>(
      std::count_if(clients.begin(), clients.end(), [](const GroupFigures& g) { return !g.name.empty(); }));
}

const Cell* Workload::Find(std::string_view series_label, double x) const {
  for (const auto& c : cells) {
    if (c.series == series_label && c.x == x) return &c;
  }
  return nullptr;
}

const GroupFigures* FindGroup(const std::vector<GroupFigures>& groups, const std::string& name) {
  for (const auto& g : groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

}  // namespace switchyard::report
