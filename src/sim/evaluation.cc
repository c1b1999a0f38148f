#include "sim/evaluation.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

namespace switchyard {

namespace {

Result<RunFigures> RunStatic(const SimWorkload& workload, const Candidate& candidate, const EvaluationOptions& o) {
  auto server = SimServer::Create(o.server, candidate);
  if (!server.ok()) return server.status();
  return RunWorkload(**server, workload, o.run);
}

Result<RunFigures> RunController(const SimWorkload& workload, const std::vector<Candidate>& candidates,
                                 const std::string& algorithm, const EvaluationOptions& o) {
  auto server = SimServer::Create(o.server, candidates[0]);
  if (!server.ok()) return server.status();
  ControllerOptions co = o.controller;
  co.algorithm = algorithm;
  co.window_us = o.run.window_us;
  co.bandit.seed = o.run.seed;
  co.decisions_out = o.decisions_dir.empty() ? "" : o.decisions_dir + "/decisions-" + algorithm + ".jsonl";
  if (!co.decisions_out.empty()) std::remove(co.decisions_out.c_str());  // the controller appends
  auto controller = Controller::Create(co, candidates, candidates[0], **server);
  if (!controller.ok()) return controller.status();
  return RunWorkload(**server, workload, o.run, controller->get());
}

// Runs task(i) for i in [0, n) on up to `threads` threads.
template <typename Task>
void ForEach(size_t n, unsigned threads, Task task) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) task(i);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, threads) && t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace

Result<Evaluation> Evaluate(const SimWorkload& workload, const std::vector<Candidate>& candidates,
                            const EvaluationOptions& options) {
  if (candidates.empty()) return InvalidArgument("no candidates to evaluate");
  const auto known = ControllerAlgorithmNames();
  for (const std::string& c : options.controllers) {
    if (std::find(known.begin(), known.end(), c) == known.end()) {
      std::string names;
      for (auto k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      return InvalidArgument("unknown controller '" + c + "' (" + names + ")");
    }
  }
  const size_t statics = candidates.size();
  const size_t total = statics + options.controllers.size();
  std::vector<std::optional<Result<RunFigures>>> runs(total);
  ForEach(total, options.threads, [&](size_t i) {
    runs[i] = i < statics ? RunStatic(workload, candidates[i], options)
                          : RunController(workload, candidates, options.controllers[i - statics], options);
  });
  for (auto& r : runs) {
    if (!r->ok()) return r->status();
  }

  Evaluation ev;
  const size_t n = workload.phase_count();
  for (size_t i = 0; i < n; ++i) ev.phases.push_back(workload.phase_name(i));
  for (size_t i = 0; i < statics; ++i) ev.statics.push_back({candidates[i], std::move(*runs[i]).value()});
  double best_mean = -1;
  for (size_t c = 0; c < statics; ++c) {
    const double mean = ev.statics[c].run.mean_reward();
    if (mean > best_mean) {
      best_mean = mean;
      ev.best_static = c;
    }
  }
  for (size_t p = 0; p < n; ++p) {
    size_t pick = 0;
    size_t pick_phase = 0;
    for (size_t c = 1; c < statics; ++c) {
      if (ev.statics[c].run.phases[p].reward > ev.statics[pick].run.phases[p].reward) pick = c;
      if (ev.statics[c].run.phases[p].phase_reward > ev.statics[pick_phase].run.phases[p].phase_reward) pick_phase = c;
    }
    ev.oracle_pick.push_back(pick);
    ev.oracle_pick_phase_reward.push_back(pick_phase);
    const double best = ev.statics[pick].run.phases[p].reward;
    ev.oracle_reward.push_back(best);
    std::set<std::string> good;
    for (const StaticRun& s : ev.statics) {
      if (s.run.phases[p].reward >= (1 - options.good_within) * best) good.insert(s.candidate.Label());
    }
    ev.good.push_back(std::move(good));
  }
  for (double r : ev.oracle_reward) ev.oracle_mean += r;
  ev.oracle_mean /= static_cast<double>(n);

  for (size_t k = 0; k < options.controllers.size(); ++k) {
    ControllerRun c;
    c.algorithm = options.controllers[k];
    c.run = std::move(*runs[statics + k]).value();
    std::vector<PhaseSpan> spans;
    for (const PhaseFigures& p : c.run.phases) spans.push_back({p.start_s, p.duration_s});
    c.adaptation = Adaptations(c.run.serving, spans, ev.good, options.target_adapt_s);
    const double mean = c.run.mean_reward();
    c.vs_oracle = ev.oracle_mean > 0 ? mean / ev.oracle_mean : 0;
    c.vs_best_static = best_mean > 0 ? mean / best_mean : 0;
    c.shifts_met = true;
    for (size_t p = 1; p < c.adaptation.size(); ++p) {
      const Adaptation& a = c.adaptation[p];
      if (!a.adapt_s || *a.adapt_s > options.target_adapt_s || !a.good_at_target.value_or(false)) c.shifts_met = false;
    }
    ev.controllers.push_back(std::move(c));
  }
  return ev;
}

}  // namespace switchyard
