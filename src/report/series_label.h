// SeriesLabeler: the label each distinct server configuration of a study
// goes by in tables and chart legends — executor and workers, plus what
// tells configurations of the same executor apart: ipc always for
// processes; start method, policy, offload, I/O and intra-op threads where
// they vary. Two configurations that would share a label are spelled out in
// full.
//
// Thread-safety: immutable once built; Label() may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "report/study.h"

namespace switchyard::report {

class SeriesLabeler {
 public:
  // The configurations of a study (repeats and empty executors ignored).
  explicit SeriesLabeler(const std::vector<ServerConfig>& configs);

  std::string Label(const ServerConfig& c) const;

 private:
  std::string Base(const ServerConfig& c) const;

  std::set<std::string> policies_;
  std::set<int64_t> intra_op_threads_;
  std::map<std::string, std::set<std::string>> starts_;
  std::map<std::string, std::set<int64_t>> io_threads_;
  std::vector<ServerConfig> configs_;  // distinct
  std::map<std::string, int> labels_;  // base label -> configurations that have it
};

}  // namespace switchyard::report
