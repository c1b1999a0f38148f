#include "cli/simulate_controller_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "control/candidates.h"
#include "control/reward.h"
#include "core/duration.h"
#include "core/file_util.h"
#include "report/results.h"
#include "sim/evaluation.h"
#include "trace/trace.h"

namespace switchyard {

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "switchyard simulate-controller: %s\n", message.c_str());
  return 2;
}

nlohmann::json Optional(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The table's columns: the phases, or with --repeat-phases the phase names,
// each the mean over its repetitions.
struct Column {
  std::string name;
  std::vector<size_t> instances;
};

std::vector<Column> ColumnsOf(const Evaluation& ev) {
  std::vector<Column> columns;
  for (size_t i = 0; i < ev.phases.size(); ++i) {
    auto it =
        std::find_if(columns.begin(), columns.end(), [&](const Column& c) { return c.name == ev.phases[i]; });
    if (it == columns.end()) {
      columns.push_back({ev.phases[i], {i}});
    } else {
      it->instances.push_back(i);
    }
  }
  return columns;
}

template <typename Get>
double MeanOver(const Column& c, Get get) {
  double sum = 0;
  for (size_t i : c.instances) sum += get(i);
  return sum / static_cast<double>(c.instances.size());
}

std::string Table(const Evaluation& ev) {
  const std::vector<Column> columns = ColumnsOf(ev);
  const bool repeated = columns.size() < ev.phases.size();
  size_t w = 24;
  for (const StaticRun& s : ev.statics) w = std::max(w, s.candidate.Label().size());
  std::string out = fmt::format("\n{:<{}}", "static candidate", w);
  for (const Column& c : columns) out += fmt::format(" {:>24}", c.name.substr(0, 24));
  out += fmt::format(" {:>8} {:>6}\n", "mean", "lost");
  for (const StaticRun& s : ev.statics) {
    out += fmt::format("{:<{}}", s.candidate.Label(), w);
    for (const Column& c : columns) {
      const double r = MeanOver(c, [&](size_t i) { return s.run.phases[i].reward; });
      const double p99 = MeanOver(c, [&](size_t i) { return s.run.phases[i].p99_ms; });
      out += fmt::format(" {:>24}", fmt::format("{:.2f} ({:.0f} ms)", r, p99));
    }
    out += fmt::format(" {:>8.2f} {:>6}\n", s.run.mean_reward(), s.run.lost);
  }
  out += fmt::format("{:<{}}", "oracle (best per phase)", w);
  for (const Column& c : columns)
    out += fmt::format(" {:>24.2f}", MeanOver(c, [&](size_t i) { return ev.oracle_reward[i]; }));
  out += fmt::format(" {:>8.2f}\n", ev.oracle_mean);
  out += fmt::format("{:<{}}", repeated ? "  its pick (most often)" : "  its pick", w);
  for (const Column& c : columns) {
    std::map<size_t, int> votes;
    for (size_t i : c.instances) ++votes[ev.oracle_pick[i]];
    const auto best = std::max_element(votes.begin(), votes.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
    const std::string label = ev.statics[best->first].candidate.Label();
    out += fmt::format(" {:>24}", label.size() > 24 ? label.substr(label.size() - 24) : label);
  }
  out += "\n";
  const StaticRun& best = ev.statics[ev.best_static];
  out +=
      fmt::format("best static overall: {} (mean {:.2f}, {:.3f} of the oracle's)\n", best.candidate.Label(),
                  best.run.mean_reward(), ev.oracle_mean > 0 ? best.run.mean_reward() / ev.oracle_mean : 0);
  out += "cells: reward = mean over the phase's seconds of ok/s / (1 + p99 ms) (p99 of the phase)";
  out += repeated ? ", each the mean over the phase's repetitions\n" : "\n";
  if (ev.controllers.empty()) return out;

  out += fmt::format("\n{:<12} {:>9} {:>10} {:>10} {:>9} {:>6} {:>10}\n", "controller", "mean", "vs oracle",
                     "vs static", "switches", "lost", "shifts<=5s");
  for (const ControllerRun& c : ev.controllers) {
    out += fmt::format("{:<12} {:>9.2f} {:>10.3f} {:>10.3f} {:>9} {:>6} {:>10}\n", c.algorithm,
                       c.run.mean_reward(), c.vs_oracle, c.vs_best_static, c.run.switches, c.run.lost,
                       c.shifts_met ? "met" : "NOT met");
  }
  out += fmt::format("\n{:<12}", "controller");
  for (const Column& c : columns) out += fmt::format(" {:>24}", c.name.substr(0, 24));
  out += "\n";
  for (const ControllerRun& c : ev.controllers) {
    out += fmt::format("{:<12}", c.algorithm);
    for (const Column& col : columns) {
      // The first instance's adaptation (with repetitions: the median share).
      const Adaptation& a = c.adaptation[col.instances.front()];
      const double share = MeanOver(col, [&](size_t i) { return c.adaptation[i].good_share; });
      const std::string first = a.adapt_s ? fmt::format("{:.1f}", *a.adapt_s) : "never";
      const std::string settle = a.settle_s ? fmt::format("{:.1f}", *a.settle_s) : "-";
      out += fmt::format(" {:>24}", fmt::format("{} / {} / {:.0f}%", first, settle, 100 * share));
    }
    out += "\n";
  }
  out +=
      "cells: s to the first good candidate / s from which on only good ones / share of the phase served by "
      "good ones (good: static reward within 5% of the oracle's";
  out += repeated ? "; times of the first repetition, share the mean)\n" : ")\n";
  return out;
}

nlohmann::json SummaryJson(const Evaluation& ev) {
  nlohmann::json s;
  s["phases"] = ev.phases;
  s["static"] = nlohmann::json::object();
  for (const StaticRun& r : ev.statics) {
    nlohmann::json j;
    for (const PhaseFigures& p : r.run.phases) {
      j["reward"].push_back(p.reward);
      j["phase_reward"].push_back(p.phase_reward);
      j["p99_ms"].push_back(p.p99_ms);
      j["ok_rps"].push_back(p.ok_rps);
    }
    j["mean_reward"] = r.run.mean_reward();
    double phase_sum = 0;
    for (const PhaseFigures& p : r.run.phases) phase_sum += p.phase_reward;
    j["mean_phase_reward"] = phase_sum / static_cast<double>(r.run.phases.size());
    j["sent"] = r.run.sent;
    j["lost"] = r.run.lost;
    s["static"][r.candidate.Label()] = j;
  }
  nlohmann::json oracle;
  oracle["reward"] = ev.oracle_reward;
  double phase_mean = 0;
  for (size_t i = 0; i < ev.phases.size(); ++i) {
    oracle["pick"].push_back(ev.statics[ev.oracle_pick[i]].candidate.Label());
    const StaticRun& by_phase = ev.statics[ev.oracle_pick_phase_reward[i]];
    oracle["phase_reward_pick"].push_back(by_phase.candidate.Label());
    oracle["phase_reward"].push_back(by_phase.run.phases[i].phase_reward);
    phase_mean += by_phase.run.phases[i].phase_reward;
    oracle["good_within_5pct"].push_back(ev.good[i]);
  }
  oracle["mean_reward"] = ev.oracle_mean;
  oracle["mean_phase_reward"] = phase_mean / static_cast<double>(ev.phases.size());
  s["oracle"] = oracle;
  const StaticRun& best = ev.statics[ev.best_static];
  s["best_static"] = {{"candidate", best.candidate.Label()},
                      {"mean_reward", best.run.mean_reward()},
                      {"vs_oracle", ev.oracle_mean > 0 ? best.run.mean_reward() / ev.oracle_mean : 0}};
  s["controllers"] = nlohmann::json::object();
  for (const ControllerRun& c : ev.controllers) {
    nlohmann::json j;
    for (const PhaseFigures& p : c.run.phases) {
      j["reward"].push_back(p.reward);
      j["phase_reward"].push_back(p.phase_reward);
      j["p99_ms"].push_back(p.p99_ms);
    }
    for (const Adaptation& a : c.adaptation) {
      j["adapt_s"].push_back(Optional(a.adapt_s));
      j["settle_s"].push_back(Optional(a.settle_s));
      j["good_at_target"].push_back(a.good_at_target ? nlohmann::json(*a.good_at_target)
                                                     : nlohmann::json(nullptr));
      j["good_share"].push_back(a.good_share);
    }
    j["mean_reward"] = c.run.mean_reward();
    j["vs_oracle"] = c.vs_oracle;
    j["vs_best_static"] = c.vs_best_static;
    j["shifts_met"] = c.shifts_met;
    j["switches"] = c.run.switches;
    j["sent"] = c.run.sent;
    j["lost"] = c.run.lost;
    j["duplicates"] = c.run.duplicates;
    if (c.run.serving.size() <= 1000) {
      for (const ServingSegment& seg : c.run.serving)
        j["serving"].push_back({seg.start_s, seg.end_s, seg.candidate});
    }
    s["controllers"][c.algorithm] = j;
  }
  return s;
}

// The live evaluation's per-phase winners — the results of an adaptive
// study (`switchyard study studies/adaptive.toml`) — beside the simulator's,
// phase by phase in order.
Result<nlohmann::json> Compare(const Evaluation& ev, const std::string& path) {
  auto study = report::LoadStudy(path);
  if (!study.ok()) return InvalidArgument("--compare: " + study.status().message());
  const report::AdaptiveComparison live = report::CompareAdaptive(study->adaptive_runs);
  if (live.phases.empty() || live.statics.empty()) {
    return InvalidArgument("--compare: " + path + " holds no successful static run of an adaptive study");
  }
  nlohmann::json summary = {{"phases", live.phases}, {"oracle", {{"pick", live.oracle_pick}}}};
  for (const auto& good : live.good) summary["oracle"]["good_within_5pct"].push_back(good);
  nlohmann::json out = {{"live", path}, {"phases", nlohmann::json::array()}};
  size_t agree = 0;
  const size_t n = std::min(summary["oracle"]["pick"].size(), ev.phases.size());
  for (size_t i = 0; i < n; ++i) {
    const std::string live_pick = summary["oracle"]["pick"][i].get<std::string>();
    const std::string sim_pick = ev.statics[ev.oracle_pick[i]].candidate.Label();
    bool sim_pick_good_live = sim_pick == live_pick;
    if (summary["oracle"].contains("good_within_5pct") && summary["oracle"]["good_within_5pct"].size() > i) {
      for (const auto& g : summary["oracle"]["good_within_5pct"][i]) sim_pick_good_live |= g == sim_pick;
    }
    const bool same = live_pick == sim_pick;
    agree += same ? 1 : 0;
    out["phases"].push_back({{"phase", ev.phases[i]},
                             {"live_phase", summary["phases"].size() > i ? summary["phases"][i] : nullptr},
                             {"live_pick", live_pick},
                             {"sim_pick", sim_pick},
                             {"agree", same},
                             {"live_pick_good_in_sim", ev.good[i].count(live_pick) > 0},
                             {"sim_pick_good_live", sim_pick_good_live}});
  }
  out["agree"] = agree;
  out["compared"] = n;
  return out;
}

std::string CompareTable(const nlohmann::json& c) {
  std::string out = fmt::format("\nper-phase winners, live ({}) vs simulated:\n{:<24} {:>30} {:>30} {:>8}\n",
                                c["live"].get<std::string>(), "phase", "live pick", "simulated pick", "");
  for (const auto& p : c["phases"]) {
    std::string verdict = p["agree"].get<bool>()                   ? "agree"
                          : p["live_pick_good_in_sim"].get<bool>() ? "close"
                                                                   : "DIFFER";
    out += fmt::format("{:<24} {:>30} {:>30} {:>8}\n", p["phase"].get<std::string>().substr(0, 24),
                       p["live_pick"].get<std::string>(), p["sim_pick"].get<std::string>(), verdict);
  }
  out += fmt::format("{} of {} phases agree (close: the live pick is within 5% of the simulated oracle)\n",
                     c["agree"].get<size_t>(), c["compared"].get<size_t>());
  return out;
}

// A duration flag: "0" is zero (allowed only where zero_ok), anything else a
// duration such as "2s".
Result<int64_t> DurationFlagUs(const char* flag, const std::string& text, bool zero_ok) {
  auto us = text == "0" ? Result<int64_t>(int64_t{0}) : ParseDurationUs(text);
  if (!us.ok()) return InvalidArgument(std::string(flag) + ": " + us.status().message());
  if (*us == 0 && !zero_ok) return InvalidArgument(std::string(flag) + " must be positive");
  return us;
}

// The simulated machine, the runs and the controllers, as the flags say.
Result<EvaluationOptions> EvaluationOptionsOf(const SimulateControllerFlags& f) {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  EvaluationOptions o;
  o.server.cores = f.cores > 0 ? f.cores : static_cast<int>(hw);
  o.server.executor.io_threads = f.io_threads > 0 ? f.io_threads : o.server.cores;
  o.server.executor.ipc_us = f.ipc_us;
  o.server.request_cpu_us = f.request_cpu_us;
  o.server.oracle_prediction = f.predictor == "oracle";
  o.threads = f.threads > 0 ? static_cast<unsigned>(f.threads) : hw;
  o.run.seed = f.seed;
  struct NamedDuration {
    const char* flag;
    const std::string& text;
    int64_t* out;
    bool zero_ok;
  };
  for (const NamedDuration& d :
       {NamedDuration{"--window", f.window, &o.run.window_us, false},
        NamedDuration{"--warmup", f.warmup, &o.run.warmup_us, true},
        NamedDuration{"--start-threads", f.start_threads, &o.server.start_threads_us, true},
        NamedDuration{"--start-processes", f.start_processes, &o.server.start_processes_us, true},
        NamedDuration{"--start-async", f.start_async, &o.server.start_async_us, true}}) {
    auto us = DurationFlagUs(d.flag, d.text, d.zero_ok);
    if (!us.ok()) return us.status();
    *d.out = *us;
  }
  auto reward = ParseReward(f.reward);
  if (!reward.ok()) return InvalidArgument("--reward: " + reward.status().message());
  o.controller.reward = *reward;
  if (reward->kind == RewardSpec::Kind::kSloGoodput) o.server.slo_ms = reward->slo_ms;
  o.controller.min_dwell_windows = f.min_dwell;
  o.controller.max_visits = f.max_visits;
  o.controller.switch_margin = f.switch_margin;
  o.controller.capacity_screen = f.capacity_screen == "on";
  o.controller.settle_when_drained = f.settle == "drained";
  o.decisions_dir = f.decisions_dir;
  o.controllers = f.controllers == "none" ? std::vector<std::string>{} : SplitList(f.controllers);
  return o;
}

// The load: the phases file with demands from the trace, or without one the
// trace's own arrivals replayed.
Result<SimWorkload> WorkloadOf(const SimulateControllerFlags& f, const std::vector<TraceRequest>& trace,
                               int cores) {
  if (f.phases.empty()) {
    if (f.repeat_phases != 1) return InvalidArgument("--repeat-phases needs --phases");
    return ReplayWorkload(trace, cores);
  }
  auto demands = ClassDemands::FromTrace(trace, cores);
  if (!demands.ok()) return InvalidArgument(f.trace + ": " + demands.status().message());
  return PhasedWorkload(f.phases, f.repeat_phases, std::move(demands).value());
}

std::string Heading(const SimulateControllerFlags& f, const EvaluationOptions& o, size_t requests,
                    size_t candidates, double traffic_s, double wall_s) {
  return fmt::format(
      "switchyard simulate-controller: {} ({} requests), {}, {} candidates, {} cores, {} event loops, window "
      "{}, "
      "seed {}\n{:.0f} s of traffic x {} runs simulated in {:.2f} s\n",
      f.trace, requests,
      f.phases.empty() ? std::string("replaying the trace's arrivals")
                       : fmt::format("phases {} x {}", f.phases, f.repeat_phases),
      candidates, o.server.cores, o.server.executor.io_threads, f.window, f.seed, traffic_s,
      candidates + o.controllers.size(), wall_s);
}

// Each class's demand, and a note for those scaled down from a trace
// recorded on too many workers.
std::string DemandTable(const ClassDemands& demands, int cores) {
  std::string out = fmt::format("\n{:<16} {:>9} {:>12} {:>10} {:>10} {:>10}\n", "class demand", "requests",
                                "source", "mean ms", "p50 ms", "p99 ms");
  for (const auto& [cost_class, d] : demands.classes()) {
    out += fmt::format("{:<16} {:>9} {:>12} {:>10.3f} {:>10.3f} {:>10.3f}\n", cost_class.text(), d.recorded,
                       d.source, d.mean_us() / 1e3, static_cast<double>(d.percentile_us(0.5)) / 1e3,
                       static_cast<double>(d.percentile_us(0.99)) / 1e3);
  }
  for (const auto& [cost_class, d] : demands.classes()) {
    if (d.source == "scaled" && d.mean_running > 2.0 * cores) {
      out += fmt::format(
          "note: {} ran beside {:.0f} others on average in the trace: its demand is scaled down by "
          "processor sharing, which undershoots (docs/simulator.md); a trace recorded on at most {} "
          "workers gives uncontended samples\n",
          cost_class.text(), d.mean_running - 1, cores);
    }
  }
  return out;
}

nlohmann::json ConfigJson(const SimulateControllerFlags& f, const EvaluationOptions& o) {
  return {{"cores", o.server.cores},
          {"io_threads", o.server.executor.io_threads},
          {"ipc_us", f.ipc_us},
          {"request_cpu_us", f.request_cpu_us},
          {"window_us", o.run.window_us},
          {"warmup_us", o.run.warmup_us},
          {"repeat_phases", f.repeat_phases},
          {"seed", f.seed},
          {"predictor", f.predictor},
          {"reward", o.controller.reward.Describe()},
          {"min_dwell", f.min_dwell},
          {"max_visits", f.max_visits},
          {"switch_margin", f.switch_margin},
          {"capacity_screen", f.capacity_screen},
          {"settle", f.settle}};
}

nlohmann::json DemandsJson(const ClassDemands& demands) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [cost_class, d] : demands.classes()) {
    j[cost_class.text()] = {{"recorded", d.recorded},         {"source", d.source},
                            {"samples", d.samples_us.size()}, {"mean_us", d.mean_us()},
                            {"p50_us", d.percentile_us(0.5)}, {"mean_running", d.mean_running},
                            {"p99_us", d.percentile_us(0.99)}};
  }
  return j;
}

// Each phase's repetition (the replay: one).
std::vector<int> RepetitionsOf(const SimWorkload& workload) {
  std::vector<int> repetitions;
  if (!workload.phases.empty()) {
    for (const SimPhase& p : workload.phases) repetitions.push_back(p.repetition);
  } else {
    repetitions.push_back(1);
  }
  return repetitions;
}

// --json: the inputs, the configuration, the demands and every figure.
nlohmann::json RunJson(const SimulateControllerFlags& f, const EvaluationOptions& o,
                       const SimWorkload& workload, const Evaluation& ev, const nlohmann::json& compared,
                       double traffic_s, double wall_s) {
  nlohmann::json j;
  j["trace"] = f.trace;
  j["phases_file"] = f.phases.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.phases);
  j["candidates_file"] = f.candidates;
  j["config"] = ConfigJson(f, o);
  j["demands"] = DemandsJson(workload.demands);
  j["repetitions"] = RepetitionsOf(workload);
  j["summary"] = SummaryJson(ev);
  if (!compared.is_null()) j["compare"] = compared;
  j["traffic_s"] = traffic_s;
  j["wall_s"] = wall_s;
  return j;
}

}  // namespace

void AddSimulateControllerFlags(CLI::App& app, SimulateControllerFlags& f) {
  app.add_option(
         "--trace", f.trace,
         "Recorded trace (serve --trace-out) whose requests give each cost class its demand (CPU work "
         "de-contended, see docs/simulator.md)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--phases", f.phases,
                 "Phases file (bench --phases format): the load's shape; without it the trace's own arrivals "
                 "are replayed open loop as one phase");
  app.add_option("--candidates", f.candidates, "Candidates file (serve --candidates format)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--controllers", f.controllers,
                 "Comma-separated controller algorithms to run after the static candidates; 'none' for none")
      ->capture_default_str();
  app.add_option("--cores", f.cores, "Cores of the simulated machine (default: this machine's)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--io-threads", f.io_threads, "Event loops of the async candidates (default: --cores)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--ipc-us", f.ipc_us, "processes: extra cost of every request (IPC round trip), µs")
      ->check(CLI::Range(int64_t{0}, int64_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--request-cpu-us", f.request_cpu_us,
                 "CPU work per request outside the workers (HTTP front end, a load generator on the same "
                 "cores), µs")
      ->check(CLI::Range(int64_t{0}, int64_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--window", f.window, "The controllers' window (virtual time)")->capture_default_str();
  app.add_option("--warmup", f.warmup, "Phase 1's load before measuring, as bench --warmup (0s: none)")
      ->capture_default_str();
  app.add_option("--repeat-phases", f.repeat_phases,
                 "Run the phases file this many times over (hours of traffic)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--seed", f.seed, "Seeds the mix, the arrivals, the demands and the bandits")
      ->capture_default_str();
  app.add_option("--predictor", f.predictor,
                 "What sjf, mlfq and drr order by: ewma (online, as serve) or oracle")
      ->check(CLI::IsMember({"ewma", "oracle"}))
      ->capture_default_str();
  app.add_option("--reward", f.reward, "The controllers' reward: throughput-p99 or slo:MS")
      ->capture_default_str();
  app.add_option("--min-dwell", f.min_dwell, "The controllers' --min-dwell")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--max-visits", f.max_visits, "The controllers' --max-visits")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--switch-margin", f.switch_margin, "The controllers' --switch-margin")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  app.add_option("--capacity-screen", f.capacity_screen, "The controllers' --capacity-screen")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  app.add_option("--settle", f.settle, "The controllers' --settle")
      ->check(CLI::IsMember({"drained", "window"}))
      ->capture_default_str();
  app.add_option("--start-threads", f.start_threads, "A switch to threads: the new workers' start")
      ->capture_default_str();
  app.add_option("--start-processes", f.start_processes, "A switch to processes: the new workers' start")
      ->capture_default_str();
  app.add_option("--start-async", f.start_async, "A switch to async: its start")->capture_default_str();
  app.add_option("--threads", f.threads, "Simulations run at once (default: this machine's cores)")
      ->check(CLI::Range(1, 256));
  app.add_option(
      "--json", f.json,
      "Write the summary here (JSON: summary.oracle.pick, the winner of each phase, and every figure)");
  app.add_option("--decisions-dir", f.decisions_dir,
                 "Write each controller's decisions (serve --decisions-out's JSON Lines, in virtual time) to "
                 "DIR/decisions-ALGORITHM.jsonl")
      ->check(CLI::ExistingDirectory);
  app.add_option(
         "--compare", f.compare,
         "The results of an adaptive study (switchyard study studies/adaptive.toml --out FILE): print its "
         "per-phase winners (the best static candidate of each phase) beside the simulator's, phase by "
         "phase in order")
      ->check(CLI::ExistingFile);
  app.footer(
      "Virtual time: nothing really runs, so hours of traffic take seconds. Exit status: 0 done; 2 bad "
      "flags or input files (file and line named).");
}

int RunSimulateController(const SimulateControllerFlags& f) {
  const auto t0 = std::chrono::steady_clock::now();
  auto o = EvaluationOptionsOf(f);
  if (!o.ok()) return Fail(o.status().message());
  auto trace = LoadTrace(f.trace);
  if (!trace.ok()) return Fail(trace.status().message());
  auto candidates = LoadCandidates(f.candidates);
  if (!candidates.ok()) return Fail(candidates.status().message());
  auto workload = WorkloadOf(f, *trace, o->server.cores);
  if (!workload.ok()) return Fail(workload.status().message());
  if (f.phases.empty()) o->run.warmup_us = 0;  // a replay starts where the trace does

  auto ev = Evaluate(*workload, *candidates, *o);
  if (!ev.ok()) return Fail(ev.status().message());
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double traffic_s = static_cast<double>(workload->duration_us()) / 1e6;

  std::string out = Heading(f, *o, trace->size(), candidates->size(), traffic_s, wall_s);
  out += DemandTable(workload->demands, o->server.cores);
  out += Table(*ev);
  nlohmann::json compared;
  if (!f.compare.empty()) {
    auto c = Compare(*ev, f.compare);
    if (!c.ok()) return Fail(c.status().message());
    compared = std::move(c).value();
    out += CompareTable(compared);
  }
  std::fputs(out.c_str(), stdout);

  if (!f.json.empty()) {
    const nlohmann::json j = RunJson(f, *o, *workload, *ev, compared, traffic_s, wall_s);
    Status written = WriteFileAtomically(f.json, j.dump(1) + "\n");
    if (!written.ok()) return Fail(written.message());
  }
  return 0;
}

}  // namespace switchyard
