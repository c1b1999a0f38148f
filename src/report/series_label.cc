#include "report/series_label.h"

#include <fmt/format.h>

#include <algorithm>

namespace switchyard::report {
namespace {

std::string Head(const ServerConfig& c) {
  std::string s = c.executor.empty() ? "?" : c.executor;
  if (c.workers) s += fmt::format(" w{}", *c.workers);
  return s;
}

std::string Full(const ServerConfig& c) {
  std::string s = Head(c);
  if (!c.policy.empty()) s += " " + c.policy;
  if (!c.start.empty()) s += " " + c.start;
  if (!c.ipc.empty()) s += " " + c.ipc;
  if (c.offload) s += fmt::format(" offload{}", *c.offload);
  if (c.io_threads) s += fmt::format(" io{}", *c.io_threads);
  if (c.intra_op_threads) s += fmt::format(" intra{}", *c.intra_op_threads);
  return s;
}

template <typename Set>
bool Varies(const std::map<std::string, Set>& m, const std::string& executor) {
  auto it = m.find(executor);
  return it != m.end() && it->second.size() > 1;
}

}  // namespace

SeriesLabeler::SeriesLabeler(const std::vector<ServerConfig>& configs) {
  for (const ServerConfig& c : configs) {
    if (c.executor.empty() || std::find(configs_.begin(), configs_.end(), c) != configs_.end()) continue;
    configs_.push_back(c);
    policies_.insert(c.policy);
    starts_[c.executor].insert(c.start);
    io_threads_[c.executor].insert(c.io_threads.value_or(-1));
    intra_op_threads_.insert(c.intra_op_threads.value_or(-1));
  }
  for (const auto& c : configs_) ++labels_[Base(c)];
}

std::string SeriesLabeler::Label(const ServerConfig& c) const {
  std::string base = Base(c);
  // Two different configurations with one label: spell everything out.
  auto it = labels_.find(base);
  if (it != labels_.end() && it->second > 1) return Full(c);
  return base;
}

std::string SeriesLabeler::Base(const ServerConfig& c) const {
  std::string s = Head(c);
  if (c.executor == "processes") {
    if (!c.ipc.empty()) s += " " + c.ipc;
    if (Varies(starts_, c.executor) && !c.start.empty()) s += " " + c.start;
  }
  if (c.offload.value_or(0) > 0) s += fmt::format(" offload{}", *c.offload);
  if (Varies(io_threads_, c.executor) && c.io_threads) s += fmt::format(" io{}", *c.io_threads);
  if (intra_op_threads_.size() > 1 && c.intra_op_threads) s += fmt::format(" intra{}", *c.intra_op_threads);
  if (policies_.size() > 1 && !c.policy.empty()) s += " " + c.policy;
  return s;
}

}  // namespace switchyard::report
