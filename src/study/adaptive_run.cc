#include "study/adaptive_run.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <map>
#include <optional>
#include <sstream>

#include "core/clock.h"
#include "core/file_util.h"
#include "loadgen/bench_summary.h"
#include "study/server_child.h"

namespace switchyard {
namespace {

using nlohmann::json;

double Ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

// ok / (1 + p99 ms): the controller's default reward (control/reward.h).
double Reward(double ok_rps, double p99_ms, uint64_t ok) { return ok > 0 ? ok_rps / (1.0 + p99_ms) : 0.0; }

json ErrorsJson(const std::map<std::string, uint64_t>& errors) {
  json out = json::object();
  for (const auto& [what, n] : errors) out[what] = n;
  return out;
}

// A phase's `load`: the load generator's own description of it.
std::optional<results::Load> LoadOf(const LoadPhase& phase) {
  auto load = results::PartFromJson<results::Load>(json::parse(phase.LoadJson()));
  if (!load.ok()) return std::nullopt;  // LoadJson writes what Load reads; never reached
  return *load;
}

}  // namespace

void PutAdaptiveFigures(const std::vector<LoadPhase>& phases, const LoadResult& result,
                        results::AdaptiveBody& body) {
  // Phase boundaries on the measured window, microseconds since it began.
  std::vector<int64_t> starts;
  int64_t t = 0;
  for (size_t i = 0; i < phases.size(); ++i) {
    starts.push_back(t);
    t += i < result.phase_us.size() ? result.phase_us[i] : phases[i].duration_us;
  }
  const int64_t end = t;
  // The phase second `s` lies wholly inside, or -1 (it straddles a boundary,
  // or runs past the end, where only the stragglers of the last phase land).
  auto phase_of_second = [&](size_t s) {
    const int64_t lo = static_cast<int64_t>(s) * 1'000'000;
    const int64_t hi = lo + 1'000'000;
    for (size_t i = 0; i < starts.size(); ++i) {
      const int64_t phase_end = i + 1 < starts.size() ? starts[i + 1] : end;
      if (lo >= starts[i] && hi <= phase_end) return static_cast<int>(i);
    }
    return -1;
  };

  std::vector<results::SecondFigures> series;
  std::vector<double> reward_sum(phases.size(), 0.0);
  std::vector<int> reward_seconds(phases.size(), 0);
  const auto& seconds = result.stats.seconds();
  for (size_t s = 0; s < seconds.size(); ++s) {
    const SecondStats& sec = seconds[s];
    const uint64_t ok = sec.requests - sec.errors;
    const double p99_ms = sec.latency->count() > 0 ? Ms(sec.latency->Percentile(0.99)) : 0.0;
    const double reward = Reward(static_cast<double>(ok), p99_ms, ok);
    const int phase = phase_of_second(s);
    results::SecondFigures second;
    second.t_s = s;
    second.phase = phase >= 0 ? results::Nullable<int64_t>(phase) : results::Nullable<int64_t>::Null();
    second.sent = sec.sent;
    second.requests = sec.requests;
    second.ok = ok;
    second.errors = sec.errors;
    second.p99_ms = p99_ms;
    second.reward = reward;
    series.push_back(std::move(second));
    if (phase >= 0) {
      reward_sum[static_cast<size_t>(phase)] += reward;
      ++reward_seconds[static_cast<size_t>(phase)];
    }
  }
  // Seconds with nothing recorded at all (a stalled server) are not in the
  // series, yet they are seconds of their phase that scored 0.
  for (size_t i = 0; i < phases.size(); ++i) {
    const int64_t phase_end = i + 1 < starts.size() ? starts[i + 1] : end;
    const int64_t first = (starts[i] + 999'999) / 1'000'000;
    const int64_t whole = std::max<int64_t>(0, phase_end / 1'000'000 - first);
    reward_seconds[i] = static_cast<int>(std::max<int64_t>(reward_seconds[i], whole));
  }

  std::vector<results::PhaseFigures> out;
  for (size_t i = 0; i < phases.size(); ++i) {
    const PhaseStats& p = result.stats.phases()[i];
    const LoadPhase& lp = phases[i];
    const double phase_s =
        static_cast<double>(i < result.phase_us.size() ? result.phase_us[i] : lp.duration_us) / 1e6;
    const double ok_rps = phase_s > 0 ? static_cast<double>(p.ok) / phase_s : 0.0;
    const double p99_ms = p.latency->count() > 0 ? Ms(p.latency->Percentile(0.99)) : 0.0;
    const uint64_t errors = p.error_count();
    const uint64_t unanswered = p.sent > p.requests ? p.sent - p.requests : 0;
    results::PhaseFigures ph;
    ph.name = lp.name;
    ph.index = static_cast<int64_t>(i);
    ph.start_s = static_cast<double>(starts[i]) / 1e6;
    ph.duration_s = phase_s;
    ph.load = LoadOf(lp);
    ph.mix = lp.mix.ToString();
    ph.sent = p.sent;
    ph.requests = p.requests;
    ph.ok = p.ok;
    ph.errors = errors;
    ph.errors_by_status = ErrorsJson(p.errors);
    ph.lost = unanswered + errors;
    ph.ok_rps = ok_rps;
    ph.p99_ms = p99_ms;
    ph.phase_reward = Reward(ok_rps, p99_ms, p.ok);
    ph.reward_seconds = reward_seconds[i];
    ph.reward = reward_seconds[i] > 0 ? results::Nullable<results::Number>(reward_sum[i] / reward_seconds[i])
                                      : results::Nullable<results::Number>::Null();
    out.push_back(std::move(ph));
  }
  body.phases = std::move(out);
  body.timeseries = std::move(series);
}

std::vector<results::Decision> AlignedDecisions(const std::string& decisions_text, double measure_start_s) {
  std::vector<results::Decision> out;
  std::istringstream in(decisions_text);
  for (std::string line; std::getline(in, line);) {
    json d = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!d.is_object() || !d.contains("monotonic_s") || !d["monotonic_s"].is_number()) continue;
    results::Decision x;
    x.window = d.value("window", 0);
    x.at_s = d["monotonic_s"].get<double>() - measure_start_s;
    x.serving = d.value("serving", "");
    x.chosen = d.value("chosen", "");
    x.switched = d.value("switched", false);
    x.reason = d.value("reason", "");
    x.reward = d.value("reward", 0.0);
    out.push_back(std::move(x));
  }
  return out;
}

results::RunRecord RunAdaptiveServer(const AdaptiveRunSetup& setup, const AdaptiveMatrix& matrix,
                                     const AdaptiveRunConfig& run, int repetition,
                                     results::RunRecord record) {
  results::AdaptiveBody& body = record.body.emplace<results::AdaptiveBody>();
  std::vector<std::string> labels;
  for (const Candidate& c : matrix.candidates) labels.push_back(c.Label());
  results::AdaptiveRunSettings config;
  config.role = run.is_static() ? results::AdaptiveRole::kStatic : results::AdaptiveRole::kController;
  config.io_threads = matrix.io_threads;
  config.candidates = labels;
  config.candidates_file = matrix.candidates_path;
  config.phases_file = matrix.phases_path;
  std::string decisions_path;
  if (run.is_static()) {
    config.candidate = run.name;
  } else {
    config.controller = run.name;
    config.window_s = static_cast<double>(matrix.window_us) / 1e6;
    config.first_candidate = labels.front();
    decisions_path = fmt::format("{}/decisions-{}-r{}.jsonl", setup.work_dir, run.name, repetition);
    ::unlink(decisions_path.c_str());  // serve appends; an earlier attempt's lines are not this run's
    body.decisions_file = decisions_path;
  }
  std::vector<std::string> args = matrix.ServeArgs(run, decisions_path, repetition);
  if (!matrix.args.empty()) config.args = matrix.args;
  config.serve_args = args;
  body.config = std::move(config);
  double measured_s = 0;
  for (const LoadPhase& p : matrix.phases) measured_s += static_cast<double>(p.duration_us) / 1e6;
  body.warmup_s = static_cast<double>(setup.warmup_us) / 1e6;
  body.duration_s = measured_s;

  auto fail = [&](const std::string& why) {
    record.status = results::RunStatus::kFailed;
    record.error = why;
    return record;
  };
  args.insert(args.end(), {"--log-level", "warn"});
  if (!setup.db_path.empty()) args.insert(args.end(), {"--db", setup.db_path});
  auto server = ServerChild::Start(setup.binary, args, setup.ready_timeout_us);
  if (!server.ok()) return fail(server.status().message());
  ServerChild& child = **server;

  LoadOptions load;
  load.target = *TargetUrl::Parse("http://127.0.0.1:" + std::to_string(child.port()) + "/score");
  load.phases = matrix.phases;
  load.warmup_us = setup.warmup_us;
  load.seed = static_cast<uint64_t>(repetition) + 1;
  auto result = RunLoad(load);
  if (!result.ok()) return fail("the load: " + result.status().message());
  const double measure_start_s = static_cast<double>(result->measure_start_us) / 1e6;
  if (auto code = child.Exited()) {
    return fail(
        fmt::format("the server exited (status {}) during the measurement: {}", *code, child.OutputTail()));
  }
  body.server_exit_status = child.Stop();
  body.measure_start_monotonic_s = measure_start_s;
  PutAdaptiveFigures(matrix.phases, *result, body);
  uint64_t sent = 0, lost = 0;
  for (const results::PhaseFigures& p : *body.phases) {
    sent += static_cast<uint64_t>(p.sent->value());
    lost += static_cast<uint64_t>(p.lost->value());
  }
  body.sent = static_cast<int64_t>(sent);
  body.lost = static_cast<int64_t>(lost);

  if (!run.is_static()) {
    auto text = ReadFile(decisions_path);
    if (!text.ok()) return fail("the controller wrote no decisions file: " + child.OutputTail());
    std::vector<results::Decision> decisions = AlignedDecisions(*text, measure_start_s);
    int switches = 0;
    for (const results::Decision& d : decisions) switches += d.switched.value_or(false) ? 1 : 0;
    body.decisions = std::move(decisions);
    body.switches = switches;
  }
  record.status = results::RunStatus::kOk;
  return record;
}

std::string AdaptiveProgressLine(const results::AdaptiveBody& body) {
  std::string line;
  for (const results::PhaseFigures& p : body.phases.value_or(std::vector<results::PhaseFigures>{})) {
    const auto& reward = p.reward.value();
    line += fmt::format("{}{}: reward {} (p99 {:.1f} ms)", line.empty() ? "" : "  ", p.name.value_or("?"),
                        reward ? fmt::format("{:.2f}", reward->value()) : "n/a",
                        p.p99_ms ? p.p99_ms->value() : 0.0);
  }
  line += fmt::format("  lost {}", body.lost.value_or(0));
  if (body.switches) line += fmt::format("  switches {}", *body.switches);
  return line;
}

}  // namespace switchyard
