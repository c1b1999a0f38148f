// `switchyard serve`: flags and the command itself.
#pragma once

#include <string>

#include "server/server.h"

namespace CLI {
class App;
}

namespace switchyard {

struct ServeFlags {
  ServerOptions server;
  std::string db_path;
  std::string models_dir;
  int intra_op_threads = 1;
  bool warm_up = true;  // one inference per model before workers are forked
  std::string admin_token_file;
  std::string predictor_model;  // --predictor: an XGBoost model from train-predictor
  std::string log_level = "info";
  int64_t read_timeout_ms = 10000;
  int64_t drain_timeout_ms = 30000;
  // The adaptive controller.
  std::string controller = "static";
  std::string window = "2s";
  std::string candidates_file;
  std::string reward = "throughput-p99";
  std::string decisions_out;
  int min_dwell = 2;
  int max_visits = 2;
  std::string explore = "canary";
  double canary_share = 0.1;
  int canary_windows = 2;
  double switch_margin = 0.05;
  uint64_t controller_seed = 1;
  std::string capacity_screen = "on";
  std::string settle = "drained";
  bool io_threads_given = false;
  bool workers_given = false;
};

void AddServeFlags(CLI::App& app, ServeFlags& flags);

// Runs the server until SIGINT/SIGTERM. Call while the process is still
// single-threaded: it forks the zygote (and, for --start fork, the workers)
// before starting any thread. Returns the exit code.
int RunServe(ServeFlags& flags, const CLI::App& app);

}  // namespace switchyard
