#include "cli/simulate_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/config_flags.h"
#include "core/file_util.h"
#include "predict/xgboost_predictor.h"
#include "sim/simulator.h"
#include "trace/trace.h"

namespace switchyard {

namespace {

nlohmann::json FiguresJson(const WaitFigures& f) {
  return {{"completed", f.completed},     {"mean_wait_us", f.mean_wait_us},
          {"p50_wait_us", f.p50_wait_us}, {"p99_wait_us", f.p99_wait_us},
          {"max_wait_us", f.max_wait_us}, {"mean_sojourn_us", f.mean_sojourn_us}};
}

std::string Row(const std::string& name, const WaitFigures& f) {
  return fmt::format("{:<16} {:>10} {:>12.3f} {:>12.3f} {:>12.3f} {:>12.3f}\n", name, f.completed,
                     f.mean_wait_us / 1000, static_cast<double>(f.p50_wait_us) / 1000,
                     static_cast<double>(f.p99_wait_us) / 1000, static_cast<double>(f.max_wait_us) / 1000);
}

}  // namespace

void AddSimulateFlags(CLI::App& app, SimulateFlags& f) {
  app.add_option("--trace", f.trace,
                 "Request trace, JSON Lines: {\"arrival_us\":..,\"service_us\":..,\"class\":..,\"client\":..,"
                 "\"priority\":..} (class, client, priority optional)")
      ->required()
      ->check(CLI::ExistingFile);
  AddConfigFlags(app, f.scheduling, IsPolicyKey);
  app.add_option("--workers", f.workers, "Workers serving the queue")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--predictor", f.predictor,
                 "What sjf, mlfq and drr order by: ewma (the server's online per-class estimate, learning "
                 "from the simulated completions), oracle (each request's true service time), or a model "
                 "file from `switchyard train-predictor`")
      ->capture_default_str();
  app.add_option("--json", f.json,
                 "Write the summary here: completed, mean_wait_us, p50/p99/max_wait_us, "
                 "mean_sojourn_us, and the same per class under classes");
  app.footer(
      "Virtual time: no request is really run, so a million-request trace takes seconds. Exit status: 0 "
      "done; 2 bad flags or trace (the file's line and the reason are named).");
}

int RunSimulate(const SimulateFlags& f) {
  const auto t0 = std::chrono::steady_clock::now();
  auto trace = LoadTrace(f.trace);
  if (!trace.ok()) {
    std::fprintf(stderr, "switchyard simulate: %s\n", trace.status().message().c_str());
    return 2;
  }
  SimulationOptions sim;
  std::unique_ptr<RuntimePredictor> model;
  if (f.predictor == "oracle") {
    sim.prediction = SimulationOptions::Prediction::kOracle;
  } else if (f.predictor != "ewma") {
    auto loaded = LoadXgboostPredictor(f.predictor);
    if (!loaded.ok()) {
      std::fprintf(stderr, "switchyard simulate: --predictor: %s\n", loaded.status().message().c_str());
      return 2;
    }
    model = std::move(loaded).value();
    sim.prediction = SimulationOptions::Prediction::kModel;
    sim.model = model.get();
  }
  auto result = Simulate(*trace, f.scheduling.policy, f.scheduling.policy_options, f.workers, sim);
  if (!result.ok()) {
    std::fprintf(stderr, "switchyard simulate: %s\n", result.status().message().c_str());
    return 2;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string out = fmt::format(
      "switchyard simulate {}: {} requests, policy {}, {} workers, utilisation {:.3f}, "
      "makespan {:.3f} s (simulated in {:.2f} s)\n",
      f.trace, trace->size(), f.scheduling.policy, f.workers, result->utilisation,
      static_cast<double>(result->makespan_us) / 1e6, seconds);
  out += fmt::format("{:<16} {:>10} {:>12} {:>12} {:>12} {:>12}\n", "class", "requests", "mean wait ms",
                     "p50 wait ms", "p99 wait ms", "max wait ms");
  out += Row("all", result->all);
  for (const auto& [name, figures] : result->classes) out += Row(name, figures);
  if (result->clients.size() >= 2) {
    out += fmt::format("{:<16} {:>10} {:>12} {:>12} {:>12} {:>12}\n", "client", "requests", "mean wait ms",
                       "p50 wait ms", "p99 wait ms", "max wait ms");
    for (const auto& [name, figures] : result->clients) out += Row(name.empty() ? "(none)" : name, figures);
    out +=
        fmt::format("Jain's fairness index of the service received while every client had requests: {:.3f}\n",
                    result->jain_index);
  }
  if (result->preemptions > 0) out += fmt::format("mlfq preemptions: {}\n", result->preemptions);
  std::fputs(out.c_str(), stdout);
  if (!f.json.empty()) {
    nlohmann::json j = FiguresJson(result->all);
    j["policy"] = f.scheduling.policy;
    j["workers"] = f.workers;
    j["makespan_us"] = result->makespan_us;
    j["utilisation"] = result->utilisation;
    j["classes"] = nlohmann::json::object();
    for (const auto& [name, figures] : result->classes) j["classes"][name] = FiguresJson(figures);
    j["clients"] = nlohmann::json::object();
    for (const auto& [name, figures] : result->clients) j["clients"][name] = FiguresJson(figures);
    j["jain_index"] =
        result->clients.size() >= 2 ? nlohmann::json(result->jain_index) : nlohmann::json(nullptr);
    j["preemptions"] = result->preemptions;
    j["predictor"] = f.predictor;
    Status written = WriteFileAtomically(f.json, j.dump(1) + "\n");
    if (!written.ok()) {
      std::fprintf(stderr, "switchyard simulate: %s\n", written.message().c_str());
      return 2;
    }
  }
  return 0;
}

}  // namespace switchyard
