// StudySpec: a study file — a matrix of server configurations × workloads ×
// load points, with durations and repetitions — and the cells it expands to.
//
//   name = "quick"
//   duration = "4s"           # measured, per cell and repetition
//   warmup = "1s"             # before measuring, not recorded
//   repetitions = 1
//   db_rows = 100000          # rows of the io database the study generates
//
//   [server]                  # the server matrix (lists; a single value is a list of one)
//   executors = ["threads", "processes", "async"]
//   workers = [2]
//   policies = ["fifo"]
//   start = ["forkserver"]    # processes only
//   ipc = ["shm"]             # processes only
//   offload = [0]             # async only
//   models = "models"         # a model repository (serve --models) for infer workloads
//   intra_op_threads = [1]    # LibTorch threads per inference (with models)
//   args = []                 # extra `switchyard serve` flags for every cell
//
//   [[workload]]
//   name = "cpu"
//   mix = "cpu:iters=80000"
//   connections = [4, 32]     # closed-loop load points, or
//   # rate = [100, 200]       # open-loop load points (requests/s)
//   # arrivals = "poisson"
//
// A study with a [pipeline] table (and [data]) instead of [server] and
// [[workload]] measures the data-loading pipeline, `switchyard load`
// (study/pipeline_matrix.h); duration, warmup and db_rows do not apply to it.
// A study with an [adaptive] table instead runs a phased workload against
// every candidate configuration and every adaptive controller
// (study/adaptive_matrix.h); duration does not apply to it (the phases say).
//
// Every key is checked before anything runs: unknown keys, wrong types and
// impossible values (0 workers, a negative rate) are errors naming the file,
// line and key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"
#include "loadgen/arrival_schedule.h"
#include "loadgen/request_mix.h"
#include "study/adaptive_matrix.h"
#include "study/pipeline_matrix.h"

namespace switchyard {

// One server configuration of the matrix. Its knobs hold the knob table's
// text forms (executor/config_keys.h), checked by it when the file was read;
// the table names the flags they become.
struct ServerConfig {
  std::string executor = "threads";
  int workers = 2;
  std::string policy = "fifo";
  std::string start;         // processes only
  std::string ipc;           // processes only
  int offload = -1;          // async only (-1: not applicable)
  std::string models;        // --models DIR, empty: none
  int intra_op_threads = 0;  // --intra-op-threads (0: not given)
  std::vector<std::string> args;

  // `switchyard serve` flags for this configuration (without --port/--db).
  std::vector<std::string> ServeArgs() const;
};

struct StudyWorkload {
  std::string name;
  std::string mix;  // normalised spec
  bool open_loop = false;
  std::vector<double> points;  // connections or rates
  Arrivals arrivals = Arrivals::kPoisson;
  bool uses_db = false;
};

// One point of the matrix.
struct StudyCell {
  std::string id;  // stable: resuming matches on it
  ServerConfig server;
  const StudyWorkload* workload = nullptr;
  double point = 0;  // connections or rate
};

// What a study measures, chosen once when its file is read, by the table it
// has: [server] (with [[workload]]), [pipeline] or [adaptive].
enum class StudyKind {
  kServer,    // server configurations x workloads x load points (StudySpec::Cells())
  kPipeline,  // `switchyard load` over a matrix of loaders (StudySpec::pipeline())
  kAdaptive,  // a phased workload against each candidate and controller (StudySpec::adaptive())
};

struct StudySpec {
  std::string name;
  std::string file;
  int64_t duration_us = 5'000'000;
  int64_t warmup_us = 1'000'000;
  int repetitions = 1;
  int64_t db_rows = 100000;
  std::vector<ServerConfig> servers;
  std::vector<StudyWorkload> workloads;
  // The matrix of a pipeline study (its cells) or of an adaptive study (its
  // runs, per repetition); which one is the study's kind. A server study's
  // matrix is servers x workloads, empty for the other kinds (and Cells()
  // too).
  std::variant<std::monostate, PipelineMatrix, AdaptiveMatrix> matrix;

  // The alternatives of `matrix` in StudyKind's order.
  StudyKind kind() const { return static_cast<StudyKind>(matrix.index()); }
  // The matrix of a study of that kind (of another kind: std::bad_variant_access).
  const PipelineMatrix& pipeline() const { return std::get<PipelineMatrix>(matrix); }
  const AdaptiveMatrix& adaptive() const { return std::get<AdaptiveMatrix>(matrix); }

  // Every cell, in the order they run (server configuration outermost, then
  // workload, then load point); ids are unique. Each cell gets a fresh
  // server, so a crash or state left behind cannot leak into the next.
  std::vector<StudyCell> Cells() const;
  bool UsesDb() const;  // server and adaptive studies
};

Result<StudySpec> LoadStudyFile(const std::string& path);
Result<StudySpec> ParseStudy(std::string_view toml_text, const std::string& name);

}  // namespace switchyard
