#include "cli/train_predictor_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "trace/trace.h"

namespace switchyard {

namespace {

std::string Percent(double fraction) {
  return std::isnan(fraction) ? std::string("-") : fmt::format("{:.1f}%", fraction * 100);
}

std::string Row(const std::string& name, int64_t trained, int64_t held_out, double mape, double baseline) {
  return fmt::format("{:<20} {:>9} {:>9} {:>11} {:>16}\n", name, trained, held_out, Percent(mape),
                     Percent(baseline));
}

nlohmann::json ReportJson(const TrainPredictorFlags& f, const TrainingReport& r) {
  nlohmann::json j = {{"trace", f.trace},
                      {"model", r.model_path},
                      {"model_bytes", r.model_bytes},
                      {"trace_rows", r.trace_rows},
                      {"usable_rows", r.usable_rows},
                      {"train_rows", r.train_rows},
                      {"held_out_rows", r.held_out_rows},
                      {"mape", r.mape},
                      {"baseline_mape", r.baseline_mape},
                      {"constant_mape", r.constant_mape},
                      {"train_mape", r.train_mape},
                      {"options",
                       {{"holdout", f.options.holdout},
                        {"rounds", f.options.rounds},
                        {"max_depth", f.options.max_depth},
                        {"learning_rate", f.options.learning_rate},
                        {"seed", f.options.seed},
                        {"threads", f.options.threads}}}};
  j["classes"] = nlohmann::json::object();
  for (const auto& [cost_class, c] : r.classes) {
    j["classes"][cost_class.text()] = {{"train_rows", c.train_rows},
                                       {"held_out_rows", c.held_out_rows},
                                       {"mape", c.mape},
                                       {"baseline_mape", c.baseline_mape}};
  }
  return j;  // NaN (nothing held out) is written as null
}

}  // namespace

void AddTrainPredictorFlags(CLI::App& app, TrainPredictorFlags& f) {
  app.add_option(
         "trace", f.trace,
         "Request trace, JSON Lines, as `switchyard serve --trace-out` records it: service_us and class "
         "required; input_bytes, queue_length, cpu_util, hour and status used when present")
      ->required();
  app.add_option("--out,-o", f.model_out, "Model file to write (XGBoost JSON; replaced atomically)")
      ->required();
  app.add_option("--holdout", f.options.holdout,
                 "Share of the usable requests held out to measure the model on, chosen by --seed")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str();
  app.add_option("--rounds", f.options.rounds, "Boosting rounds (trees)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--max-depth", f.options.max_depth, "Depth of each tree")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--learning-rate", f.options.learning_rate, "XGBoost's eta: how much each tree corrects")
      ->check(CLI::Range(0.001, 1.0))
      ->capture_default_str();
  app.add_option("--seed", f.options.seed, "Seed of the held-out split")->capture_default_str();
  app.add_option("--threads", f.options.threads, "Training threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option(
      "--json", f.json,
      "Write the report here: rows, mape, baseline_mape, constant_mape, train_mape, and the same per "
      "class under classes (null where nothing was held out)");
  app.footer(
      "Learns ln(service time) from the cost class (\"cpu:2^17\", \"io\", \"model:NAME\"; the 2^K is a "
      "feature "
      "of its own), the input size, the queue length, the CPU utilisation and the hour, on the requests "
      "answered "
      "200 (or with no status recorded) with service_us > 0; at least 20 are needed. MAPE is the mean of "
      "|predicted - actual| / actual over the held-out requests; the class-mean column is what a per-class "
      "average (the online EWMA predictor) would score. Use the model with `switchyard serve --predictor "
      "MODEL`. "
      "Exit status: 0 trained; 2 a bad or too small trace (the file's line and the reason are named) or a "
      "model "
      "that could not be written; flags out of range are refused before anything runs.");
}

int RunTrainPredictor(const TrainPredictorFlags& f) {
  const auto t0 = std::chrono::steady_clock::now();
  auto trace = LoadTrace(f.trace);
  if (!trace.ok()) {
    std::fprintf(stderr, "switchyard train-predictor: %s\n", trace.status().message().c_str());
    return 2;
  }
  auto report = TrainPredictor(*trace, f.options, f.model_out);
  if (!report.ok()) {
    std::fprintf(stderr, "switchyard train-predictor: %s: %s\n", f.trace.c_str(),
                 report.status().message().c_str());
    return 2;
  }
  const TrainingReport& r = *report;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string out = fmt::format(
      "switchyard train-predictor {}: {} requests, {} usable; trained on {}, held out {}; {} rounds of depth "
      "{} "
      "in {:.1f} s\n",
      f.trace, r.trace_rows, r.usable_rows, r.train_rows, r.held_out_rows, f.options.rounds,
      f.options.max_depth, seconds);
  out += fmt::format("{:<20} {:>9} {:>9} {:>11} {:>16}\n", "class", "trained", "held out", "model MAPE",
                     "class-mean MAPE");
  out += Row("all", r.train_rows, r.held_out_rows, r.mape, r.baseline_mape);
  for (const auto& [cost_class, c] : r.classes)
    out += Row(cost_class.text(), c.train_rows, c.held_out_rows, c.mape, c.baseline_mape);
  if (r.held_out_rows > 0) {
    out += fmt::format(
        "One constant (the training mean) for everything: MAPE {}. On its own training requests "
        "the model scores {}.\n",
        Percent(r.constant_mape), Percent(r.train_mape));
  } else {
    out += fmt::format(
        "Nothing held out (--holdout 0): on its own training requests the model scores {}, an "
        "optimistic figure.\n",
        Percent(r.train_mape));
  }
  out += fmt::format(
      "Model written to {} (XGBoost JSON, {} bytes); serve with it: switchyard serve --predictor {}\n",
      r.model_path, r.model_bytes, r.model_path);
  std::fputs(out.c_str(), stdout);
  if (!f.json.empty()) {
    Status written = WriteFileAtomically(f.json, ReportJson(f, r).dump(1) + "\n");
    if (!written.ok()) {
      std::fprintf(stderr, "switchyard train-predictor: %s\n", written.message().c_str());
      return 2;
    }
  }
  return 0;
}

}  // namespace switchyard
