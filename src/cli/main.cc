// switchyard: one binary, subcommands.
//
//   serve    the inference server (threads | processes | async)
//   gen-db   the SQLite database of the io workload
//   gen-data the synthetic data set of the loading pipeline (files + manifest)
//   load     the data-loading pipeline benchmark
//   bench    the load generator
//   study    runs a study file's matrix against fresh servers
//   report   HTML page, Markdown summary and SVG charts of a study's results
//   simulate a trace under a policy, in virtual time
//   simulate-controller  the adaptive controller's evaluation, in virtual time
//   train-predictor  the learned runtime predictor, from a recorded trace
//   __worker (internal) a worker process started with --start spawn
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string_view>

#include "cli/bench_command.h"
#include "cli/gen_data_command.h"
#include "cli/gen_db_command.h"
#include "cli/load_command.h"
#include "cli/report_command.h"
#include "cli/serve_command.h"
#include "cli/simulate_command.h"
#include "cli/simulate_controller_command.h"
#include "cli/study_command.h"
#include "cli/train_predictor_command.h"
#include "executor/process/worker_process.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "__worker") {
    return switchyard::SpawnedWorkerMain(argc - 1, argv + 1);
  }
  CLI::App app{
      "switchyard: serve ML-style workloads with a chosen OS concurrency model (threads, "
      "processes, async), and measure which serves best."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "switchyard 0.1.0");

  switchyard::ServeFlags serve_flags;
  CLI::App* serve = app.add_subcommand(
      "serve", "Serve POST /score (cpu | io | sleep), /healthz, /readyz, /stats and /admin/config");
  switchyard::AddServeFlags(*serve, serve_flags);

  switchyard::GenDbFlags gen_db_flags;
  CLI::App* gen_db = app.add_subcommand("gen-db", "Write the deterministic SQLite kv database of mode io");
  switchyard::AddGenDbFlags(*gen_db, gen_db_flags);

  switchyard::GenDataFlags gen_data_flags;
  CLI::App* gen_data = app.add_subcommand(
      "gen-data", "Write a deterministic synthetic data set (random-sized binary files + manifest.json)");
  switchyard::AddGenDataFlags(*gen_data, gen_data_flags);

  switchyard::LoadFlags load_flags;
  CLI::App* load = app.add_subcommand(
      "load", "Data-loading pipeline benchmark: read, augment (BLAS), batch and feed a consumer with a chosen loader");
  switchyard::AddLoadFlags(*load, load_flags);

  switchyard::BenchFlags bench_flags;
  CLI::App* bench = app.add_subcommand(
      "bench", "Drive load at a server (closed or open loop, phases) and report latency and throughput honestly");
  switchyard::AddBenchFlags(*bench, bench_flags);

  switchyard::ReportFlags report_flags;
  CLI::App* report = app.add_subcommand(
      "report", "Render a study's results (JSON Lines) as an HTML page with charts and a Markdown summary");
  switchyard::AddReportFlags(*report, report_flags);

  switchyard::StudyFlags study_flags;
  CLI::App* study = app.add_subcommand(
      "study", "Run a study file's matrix of configurations x workloads x load points and record the results");
  switchyard::AddStudyFlags(*study, study_flags);

  switchyard::SimulateFlags simulate_flags;
  CLI::App* simulate = app.add_subcommand(
      "simulate", "Replay a request trace under a scheduling policy and worker count, in virtual time");
  switchyard::AddSimulateFlags(*simulate, simulate_flags);

  switchyard::SimulateControllerFlags simulate_controller_flags;
  CLI::App* simulate_controller = app.add_subcommand(
      "simulate-controller",
      "Every candidate and controller through a phased workload in virtual time, on demands from a recorded trace");
  switchyard::AddSimulateControllerFlags(*simulate_controller, simulate_controller_flags);

  switchyard::TrainPredictorFlags train_flags;
  CLI::App* train = app.add_subcommand(
      "train-predictor", "Fit the learned runtime predictor (XGBoost) on a recorded trace and measure it");
  switchyard::AddTrainPredictorFlags(*train, train_flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help); every command documents exit
    // status 2 for bad flags, whatever CLI11's own code for the kind of error.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*serve) return switchyard::RunServe(serve_flags, *serve);
  if (*gen_db) return switchyard::RunGenDb(gen_db_flags);
  if (*gen_data) return switchyard::RunGenData(gen_data_flags);
  if (*load) return switchyard::RunLoad(load_flags);
  if (*bench) return switchyard::RunBench(bench_flags, *bench);
  if (*study) return switchyard::RunStudyCommand(study_flags);
  if (*report) return switchyard::RunReport(report_flags);
  if (*simulate) return switchyard::RunSimulate(simulate_flags);
  if (*simulate_controller) return switchyard::RunSimulateController(simulate_controller_flags);
  if (*train) return switchyard::RunTrainPredictor(train_flags);
  return 2;
}
