#include "control/controller.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "control/baseline_bandits.h"
#include "core/clock.h"

namespace switchyard {
namespace {

nlohmann::json WindowJson(const WindowStats& w) {
  return {
      {"seconds", w.seconds},
      {"arrival_rate", w.arrival_rate},
      {"throughput", w.throughput},
      {"goodput", w.goodput},
      {"p95_ms", w.p95_ms},
      {"p99_ms", w.p99_ms},
      {"error_rate", w.error_rate},
      {"queue_length", w.queue_length},
      {"in_system", w.in_system},
      {"cpu_utilisation", w.cpu_utilisation},
      {"mix", {{"cpu", w.share_cpu}, {"io", w.share_io}, {"sleep", w.share_sleep}, {"model", w.share_model}}},
      {"mean_predicted_ms", w.mean_predicted_ms},
      {"wait_load", w.wait_load},
      {"gil_held_share", w.gil_held_share}};
}

// `part` of a window that took `share` of its requests, with its rates
// scaled up to the whole window's (what its configuration would have done
// with every request, at the efficiency it showed on its share).
WindowStats ScaledToWhole(WindowStats part, double share) {
  if (share <= 0) return part;
  part.arrival_rate /= share;
  part.throughput /= share;
  part.goodput /= share;
  part.error_rate /= share;
  return part;
}

// Nothing came, nothing was answered, nothing is waiting: no load. (A
// window where requests wait but none is answered is a stall, and scores 0.)
bool Idle(const WindowStats& w) { return w.throughput <= 0 && w.arrival_rate <= 0 && w.in_system <= 0; }

}  // namespace

std::string_view DecisionReasonName(DecisionReason reason) {
  switch (reason) {
    case DecisionReason::kIdle:
      return "idle";
    case DecisionReason::kWarming:
      return "warming";
    case DecisionReason::kSettling:
      return "settling";
    case DecisionReason::kFailed:
      return "failed";
    case DecisionReason::kStay:
      return "stay";
    case DecisionReason::kDwell:
      return "dwell";
    case DecisionReason::kUntried:
      return "untried";
    case DecisionReason::kExplore:
      return "explore";
    case DecisionReason::kExploit:
      return "exploit";
    case DecisionReason::kWithinMargin:
      return "within-margin";
    case DecisionReason::kEscape:
      return "escape";
    case DecisionReason::kConverged:
      return "converged";
    case DecisionReason::kCanary:
      return "canary";
    case DecisionReason::kTrial:
      return "trial";
    case DecisionReason::kPromote:
      return "promote";
    case DecisionReason::kReject:
      return "reject";
    case DecisionReason::kCutOff:
      return "cut-off";
    case DecisionReason::kCanaryEnded:
      return "canary-ended";
  }
  return "?";
}

double WaitCapacity(const Candidate& candidate) {
  if (candidate.executor() == ExecutorKind::kAsync) return std::numeric_limits<double>::infinity();
  return candidate.workers();
}

double WaitDemand(const WindowStats& w) { return std::max(w.wait_load, w.in_system * w.share_sleep); }

namespace {

// Whether `a` has more room for the load than `b` (Escape's order): more
// waits held at once, then more workers or offload threads.
bool Roomier(const Candidate& a, const Candidate& b) {
  const double wa = WaitCapacity(a), wb = WaitCapacity(b);
  if (wa != wb) return wa > wb;
  return a.workers() + a.offload() > b.workers() + b.offload();
}

}  // namespace

std::vector<std::string_view> ControllerAlgorithmNames() {
  std::vector<std::string_view> names = BanditNames();
  names.push_back("random");
  names.push_back("round-robin");
  return names;
}

Result<std::unique_ptr<Bandit>> MakeControllerBandit(std::string_view algorithm, int arms,
                                                     const BanditOptions& options) {
  if (algorithm == "random" || algorithm == "round-robin") {
    if (Status s = options.Validate(); !s.ok()) return s;
    if (arms < 1) return InvalidArgument("the controller needs at least one candidate");
    return algorithm == "random" ? MakeRandomBandit(arms, options) : MakeRoundRobinBandit(arms, options);
  }
  auto bandit = MakeBandit(algorithm, arms, kWorkloadFeatures, options);
  if (!bandit.ok()) {
    return InvalidArgument(fmt::format("unknown controller '{}': static, {}", algorithm,
                                       fmt::join(ControllerAlgorithmNames(), ", ")));
  }
  return bandit;
}

Result<std::unique_ptr<Controller>> Controller::Create(const ControllerOptions& options,
                                                       std::vector<Candidate> candidates,
                                                       const Candidate& initial, ControlledServer& server) {
  if (options.window_us < 100'000) return InvalidArgument("--window: at least 100ms");
  if (options.min_dwell_windows < 1) return InvalidArgument("--min-dwell: at least 1 window");
  if (options.switch_margin < 0) return InvalidArgument("--switch-margin: at least 0");
  if (!(options.shift_distance > 0)) return InvalidArgument("shift_distance: above 0");
  if (!(options.shift_keep >= 0 && options.shift_keep <= 1)) return InvalidArgument("shift_keep: 0 to 1");
  if (options.max_visits < 1) return InvalidArgument("--max-visits: at least 1");
  if (!(options.canary_share > 0 && options.canary_share <= 0.5)) {
    return InvalidArgument(fmt::format("--canary-share: above 0 and at most 0.5, got {}", options.canary_share));
  }
  if (options.canary_windows < 1) return InvalidArgument("--canary-windows: at least 1");
  auto it = std::find(candidates.begin(), candidates.end(), initial);
  if (it == candidates.end()) {
    candidates.insert(candidates.begin(), initial);
    it = candidates.begin();
  }
  const int first = static_cast<int>(it - candidates.begin());
  auto bandit = MakeControllerBandit(options.algorithm, static_cast<int>(candidates.size()), options.bandit);
  if (!bandit.ok()) return bandit.status();
  std::FILE* log = nullptr;
  if (!options.decisions_out.empty()) {
    log = std::fopen(options.decisions_out.c_str(), "a");
    if (log == nullptr) {
      return InvalidArgument(
          fmt::format("--decisions-out {}: {}", options.decisions_out, std::strerror(errno)));
    }
  }
  return std::unique_ptr<Controller>(
      new Controller(options, std::move(candidates), first, server, std::move(*bandit), log));
}

Controller::Controller(const ControllerOptions& options, std::vector<Candidate> candidates, int initial,
                       ControlledServer& server, std::unique_ptr<Bandit> bandit, std::FILE* log)
    : options_(options),
      candidates_(std::move(candidates)),
      server_(server),
      bandit_(std::move(bandit)),
      log_(log),
      regime_(candidates_.size()),
      current_(initial),
      failed_(candidates_.size(), false) {}

Controller::~Controller() {
  Stop();
  if (log_ != nullptr) std::fclose(log_);
}

Decision Controller::Step(int64_t now_us) {
  if (start_us_ < 0) start_us_ = now_us - options_.window_us;
  // A settling window the driver ended early, at the end of the drain: too
  // short to say that the load stopped or that its mix changed.
  const bool short_window = last_step_us_ >= 0 && now_us - last_step_us_ < options_.window_us / 2;
  last_step_us_ = now_us;
  Decision d;
  d.window = ++windows_;
  d.t_s = static_cast<double>(now_us - start_us_) / 1e6;
  d.at_us = now_us;
  d.observed = server_.Observe();
  d.features = WorkloadFeatures(d.observed);
  d.serving = current_.load();
  d.reward = options_.reward.Of(d.observed);
  d.chosen = d.serving;
  ++since_switch_;
  const bool draining = server_.Draining();
  if (trial_ >= 0) {
    // Each part on its own replies; the serving configuration's reward is
    // its part's.
    const std::array<WindowStats, 2> parts = server_.Parts();
    const double admitted = parts[0].arrival_rate + parts[1].arrival_rate;
    d.trial = trial_;
    d.canary_share = admitted > 0 ? parts[1].arrival_rate / admitted : 0;
    d.serving_part = parts[0];
    d.canary_part = parts[1];
    d.serving_reward = options_.reward.Of(ScaledToWhole(parts[0], 1 - d.canary_share));
    d.canary_reward = options_.reward.Of(ScaledToWhole(parts[1], d.canary_share));
    if (admitted > 0) d.reward = d.serving_reward;
  }

  if (!short_window) NoteWorkloadShift(d);
  const std::optional<DecisionReason> nothing_learnt = Learn(d, short_window, draining);
  int escape_to = -1;
  if (MustEscape(d.observed, &escape_to)) {
    d.reason = DecisionReason::kEscape;
    trial_ = -1;  // the switch ends the canary first
    trial_live_.store(-1);
    const double waits = WaitDemand(d.observed);
    for (size_t i = 0; i < candidates_.size(); ++i) {
      if (static_cast<int>(i) != d.serving && WaitCapacity(candidates_[i]) < kScreenShare * waits) {
        d.excluded.push_back(static_cast<int>(i));
      }
    }
    SwitchTo(d, escape_to);
  } else if (trial_ >= 0) {
    d.reason = TrialStep(d, short_window);
  } else if (nothing_learnt) {
    d.reason = *nothing_learnt;  // nothing to decide on an idle or settling window
  } else {
    const int proposed = Choose(d);
    if (d.reason == DecisionReason::kUntried || d.reason == DecisionReason::kExplore ||
        d.reason == DecisionReason::kExploit) {
      if (UsesCanary()) {
        StartTrial(d, proposed);
      } else {
        SwitchTo(d, proposed);
      }
    }
  }
  Record(d);
  return d;
}

void Controller::NoteWorkloadShift(Decision& d) {
  if (Idle(d.observed) || d.observed.arrival_rate <= 0) return;
  const std::vector<double> mix = {d.observed.share_cpu, d.observed.share_io, d.observed.share_sleep,
                                   d.observed.share_model};
  if (recent_mix_.empty()) {
    recent_mix_ = mix;
    return;
  }
  double change = 0;
  for (size_t i = 0; i < mix.size(); ++i) change = std::max(change, std::abs(mix[i] - recent_mix_[i]));
  if (change > options_.shift_distance) {
    d.shift = true;
    bandit_->OnWorkloadShift(options_.shift_keep);
    regime_.assign(candidates_.size(), Evidence{});
    recent_mix_ = mix;
  } else {
    for (size_t i = 0; i < mix.size(); ++i) recent_mix_[i] = (recent_mix_[i] + mix[i]) / 2;
  }
}

std::optional<DecisionReason> Controller::Learn(Decision& d, bool short_window, bool draining) {
  std::optional<DecisionReason> nothing_learnt;
  if (switched_last_window_ && short_window) {
    // The switch's window, ended when the old configuration had drained.
    nothing_learnt = DecisionReason::kSettling;
  } else if (Idle(d.observed)) {
    nothing_learnt = DecisionReason::kIdle;
  } else if (idle_last_window_) {
    // Load began somewhere inside this window: its figures are part idle.
    nothing_learnt = DecisionReason::kWarming;
  } else if (switched_last_window_ || draining || draining_last_step_) {
    // The switch's window, or the old configuration's backlog finished
    // inside this one (or has not yet): its latencies are not the new one's.
    nothing_learnt = DecisionReason::kSettling;
  } else {
    bandit_->Update(d.serving, d.features, d.reward);
    d.rewarded = true;
    if (std::isfinite(d.reward)) {
      Evidence& e = regime_[static_cast<size_t>(d.serving)];
      ++e.n;
      e.sum += d.reward;
      e.sum_sq += d.reward * d.reward;
    }
  }
  switched_last_window_ = false;
  if (!short_window) idle_last_window_ = Idle(d.observed);
  draining_last_step_ = draining;
  return nothing_learnt;
}

int Controller::Choose(Decision& d) {
  std::vector<bool> excluded(candidates_.size(), false);
  if (options_.capacity_screen) {
    const double waits = WaitDemand(d.observed);
    for (size_t i = 0; i < candidates_.size(); ++i) {
      if (static_cast<int>(i) != d.serving && WaitCapacity(candidates_[i]) < kScreenShare * waits) {
        excluded[i] = true;
        d.excluded.push_back(static_cast<int>(i));
      }
    }
  }
  bandit_->SetExcluded(excluded);
  const int proposed = bandit_->Choose(d.features);
  const std::vector<ArmEstimate> est = bandit_->Estimates(d.features);
  int best = d.serving;  // the best estimate among the candidates it may choose
  for (size_t i = 0; i < est.size(); ++i) {
    if (!est[i].disabled && !excluded[i] && est[i].plays > 0 &&
        est[i].mean > est[static_cast<size_t>(best)].mean) {
      best = static_cast<int>(i);
    }
  }
  if (proposed < 0 || proposed == d.serving) {
    d.reason = DecisionReason::kStay;
  } else if (since_switch_ < options_.min_dwell_windows) {
    d.reason = DecisionReason::kDwell;
  } else if (est[static_cast<size_t>(proposed)].plays == 0) {
    d.reason = DecisionReason::kUntried;
  } else if (proposed != best) {
    d.reason = DecisionReason::kExplore;
  } else if (est[static_cast<size_t>(proposed)].mean >
             est[static_cast<size_t>(d.serving)].mean * (1 + options_.switch_margin)) {
    d.reason = DecisionReason::kExploit;
  } else {
    d.reason = DecisionReason::kWithinMargin;
  }
  // The baselines choose blindly, as their definitions say.
  const bool baseline = options_.algorithm == "random" || options_.algorithm == "round-robin";
  const bool exploring = d.reason == DecisionReason::kUntried || d.reason == DecisionReason::kExplore;
  const bool exploiting = d.reason == DecisionReason::kExploit;
  if (!baseline && (exploring || exploiting)) {
    const Evidence& p = regime_[static_cast<size_t>(proposed)];
    const Evidence& s = regime_[static_cast<size_t>(d.serving)];
    // An exploit the regime's own full windows back is made whatever the
    // visits; one that only the bandit's estimates back (of canary slices,
    // or of an earlier time) counts against them like an exploration.
    const bool backed = exploiting && p.n > 0 && s.n > 0 && Separated(proposed, d.serving);
    if ((exploiting && !Separated(proposed, d.serving)) || (!backed && p.visits >= options_.max_visits) ||
        (exploring && !CouldWin(proposed, d.serving))) {
      d.reason = DecisionReason::kConverged;
    }
  }
  return proposed;
}

double Controller::PooledNoise() const {
  double within = 0;
  int dof = 0;
  for (const Evidence& e : regime_) {
    if (e.n < 2) continue;
    within += std::max(0.0, e.sum_sq - e.sum * e.sum / e.n);
    dof += e.n - 1;
  }
  return dof > 0 ? std::sqrt(within / dof) : -1;
}

bool Controller::CouldWin(int proposed, int serving) const {
  const Evidence& p = regime_[static_cast<size_t>(proposed)];
  const Evidence& s = regime_[static_cast<size_t>(serving)];
  const double noise = PooledNoise();
  if (p.n == 0 || s.n == 0 || noise < 0) return true;  // nothing to tell them apart by yet
  return p.Mean() + kEvidenceZ * noise / std::sqrt(p.n) >= s.Mean() * (1 + options_.switch_margin);
}

bool Controller::Separated(int proposed, int serving) const {
  const Evidence& p = regime_[static_cast<size_t>(proposed)];
  const Evidence& s = regime_[static_cast<size_t>(serving)];
  const double noise = PooledNoise();
  // Without evidence in this regime the bandit's memory (of another time
  // this workload ran) is all there is: trust it.
  if (p.n == 0 || s.n == 0 || noise < 0) return true;
  return p.Mean() - kEvidenceZ * noise * std::sqrt(1.0 / p.n + 1.0 / s.n) >= s.Mean() * (1 + options_.switch_margin);
}

bool Controller::MustEscape(const WindowStats& w, int* target) const {
  *target = -1;
  if (!options_.capacity_screen || Idle(w)) return false;
  const int serving = current_.load();
  const Candidate& now = candidates_[static_cast<size_t>(serving)];
  const double waits = WaitDemand(w);
  if (WaitCapacity(now) >= kScreenShare * waits) return false;
  const double queue_bound = std::max(kEscapeMinQueue, kEscapeQueuePerWorker * std::max(1, now.workers()));
  if (w.queue_length < queue_bound) return false;
  const std::vector<ArmEstimate> est = bandit_->Estimates(WorkloadFeatures(w));
  const ArmEstimate& here = est[static_cast<size_t>(serving)];
  int best_known = -1, roomiest = -1;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    const int arm = static_cast<int>(i);
    if (arm == serving || est[i].disabled || WaitCapacity(candidates_[i]) < kScreenShare * waits) continue;
    if (est[i].plays > 0 && (here.plays == 0 || est[i].mean > here.mean) &&
        (best_known < 0 || est[i].mean > est[static_cast<size_t>(best_known)].mean)) {
      best_known = arm;
    }
    if (roomiest < 0 || Roomier(candidates_[i], candidates_[static_cast<size_t>(roomiest)])) roomiest = arm;
  }
  *target = best_known >= 0 ? best_known : roomiest;
  return *target >= 0;
}

bool Controller::EscapeDue() {
  if (!options_.capacity_screen) return false;
  std::optional<WindowStats> w = server_.Peek();
  int target = -1;
  return w && MustEscape(*w, &target);
}

bool Controller::UsesCanary() const {
  const bool baseline = options_.algorithm == "random" || options_.algorithm == "round-robin";
  return options_.canary && !baseline && server_.CanRunCanary();
}

void Controller::StartTrial(Decision& d, int proposed) {
  const Candidate& candidate = candidates_[static_cast<size_t>(proposed)];
  int64_t start_us = 0;
  Status s = server_.StartCanary(candidate, options_.canary_share, &start_us);
  if (!s.ok()) return DisableFailed(d, proposed, s);
  // Every trial is a visit, an exploiting one too: one the candidate lost
  // on its slice is not made again and again.
  ++regime_[static_cast<size_t>(proposed)].visits;
  d.reason = DecisionReason::kCanary;
  d.trial = proposed;
  d.switch_start_us = start_us;
  trial_ = proposed;
  trial_live_.store(proposed);
  trial_windows_ = 0;
  trial_log_ratios_.clear();
  trial_restarts_ = server_.Canary().worker_restarts;
}

std::string Controller::CutOffReason(const ControlledServer::CanaryState& state) const {
  if (state.worker_restarts > trial_restarts_) return "a worker process died in the canary";
  const double bound = std::max(kEscapeMinQueue, kEscapeQueuePerWorker * std::max(1, state.workers));
  if (state.queued >= bound) {
    return fmt::format("the canary's queue reached {:.0f} (the bound: {:.0f})", state.queued, bound);
  }
  return "";
}

bool Controller::CutOffDue() const {
  if (trial_ < 0) return false;
  const ControlledServer::CanaryState state = server_.Canary();
  return !state.running || !CutOffReason(state).empty();
}

DecisionReason Controller::TrialStep(Decision& d, bool short_window) {
  const int candidate = trial_;
  auto end = [&](bool promote) {
    trial_ = -1;
    trial_live_.store(-1);
    Status s = server_.EndCanary(promote);
    if (!s.ok()) return false;
    if (promote) NoteSwitch(d, candidate);
    return true;
  };
  const ControlledServer::CanaryState state = server_.Canary();
  if (!state.running) {
    trial_ = -1;
    trial_live_.store(-1);
    return DecisionReason::kCanaryEnded;
  }
  if (std::string why = CutOffReason(state); !why.empty()) {
    bandit_->Update(candidate, d.features, 0);  // it could not carry its share
    d.error = fmt::format("{}: {}", candidates_[static_cast<size_t>(candidate)].Label(), why);
    end(false);
    return DecisionReason::kCutOff;
  }
  if (short_window) return DecisionReason::kTrial;
  ++trial_windows_;
  if (d.canary_part.arrival_rate * d.canary_part.seconds >= kMinTrialRequests && d.serving_reward > 0) {
    bandit_->Update(candidate, d.features, d.canary_reward);
    trial_log_ratios_.push_back(std::log(std::max(d.canary_reward / d.serving_reward, 1e-9)));
  }
  const int scored = static_cast<int>(trial_log_ratios_.size());
  if (scored >= options_.canary_windows) {
    double mean = 0;
    for (double r : trial_log_ratios_) mean += r / scored;
    for (double r : trial_log_ratios_) trial_noise_ss_ += (r - mean) * (r - mean);
    trial_noise_dof_ += scored - 1;
    // The larger of what the trials measured, the prior, and what the full
    // windows' noise implies for the ratio of two of them.
    double noise = kTrialNoisePrior;
    if (trial_noise_dof_ >= 2) noise = std::max(noise, std::sqrt(trial_noise_ss_ / trial_noise_dof_));
    const Evidence& serving = regime_[static_cast<size_t>(d.serving)];
    if (const double window_noise = PooledNoise(); window_noise > 0 && serving.n > 0 && serving.Mean() > 0) {
      noise = std::max(noise, std::sqrt(2.0) * window_noise / serving.Mean());
    }
    const double lower = mean - kEvidenceZ * noise / std::sqrt(scored);
    const bool won = lower >= std::log1p(options_.switch_margin);
    d.note = fmt::format("{} scored {:.3f}x the serving configuration over {} windows (at least {:.3f}x within "
                          "the noise; a promotion needs {:.3f}x)",
                          candidates_[static_cast<size_t>(candidate)].Label(), std::exp(mean), scored,
                          std::exp(lower), 1 + options_.switch_margin);
    if (!end(won)) return DecisionReason::kCanaryEnded;
    return won ? DecisionReason::kPromote : DecisionReason::kReject;
  }
  if (trial_windows_ >= options_.canary_windows + 2) {
    d.note = fmt::format("{}: too few requests in the canary to compare ({} windows)",
                          candidates_[static_cast<size_t>(candidate)].Label(), trial_windows_);
    end(false);
    return DecisionReason::kReject;
  }
  return DecisionReason::kTrial;
}

void Controller::SwitchTo(Decision& d, int proposed) {
  const Candidate& candidate = candidates_[static_cast<size_t>(proposed)];
  int64_t start_us = 0;
  Status s = server_.Apply(candidate, &start_us);
  if (s.ok()) {
    if (d.reason != DecisionReason::kEscape) ++regime_[static_cast<size_t>(proposed)].visits;
    d.switch_start_us = start_us;
    NoteSwitch(d, proposed);
    return;
  }
  DisableFailed(d, proposed, s);
}

void Controller::NoteSwitch(Decision& d, int to) {
  d.chosen = to;
  d.switched = true;
  current_.store(to);
  switches_.fetch_add(1);
  since_switch_ = 0;
  switched_last_window_ = true;
}

void Controller::DisableFailed(Decision& d, int candidate, const Status& why) {
  d.reason = DecisionReason::kFailed;
  d.error = fmt::format("{}: {}", candidates_[static_cast<size_t>(candidate)].Label(), why.message());
  bandit_->Disable(candidate);
  MutexLock lock(mu_);
  failed_[static_cast<size_t>(candidate)] = true;
}

void Controller::Record(const Decision& d) {
  if (log_ != nullptr) {
    const std::string line = DecisionJson(d).dump() + "\n";
    std::fputs(line.c_str(), log_);
    std::fflush(log_);
  }
  MutexLock lock(mu_);
  estimates_ = bandit_->Estimates(d.features);
  recent_.push_back(d);
  while (recent_.size() > static_cast<size_t>(std::max(1, options_.kept_decisions))) recent_.pop_front();
}

bool Controller::SettleDue() const {
  return options_.settle_when_drained && switched_last_window_ && !server_.Draining();
}

void Controller::Run() {
  // How often the end of a drain is looked for after a switch: small beside
  // any window (at least 100 ms), and a switch's drain is what it measures.
  constexpr int64_t kDrainPollUs = 2'000;
  if (start_us_ < 0) start_us_ = SteadyClock::Now();  // t_s from here, whenever the first step comes
  int64_t next = SteadyClock::Now() + options_.window_us;
  int64_t next_escape_check = SteadyClock::Now() + kEscapePollUs;
  for (;;) {
    {
      MutexLock lock(mu_);
      for (;;) {
        if (stop_) return;
        const int64_t now = SteadyClock::Now();
        if (now >= next || SettleDue()) break;
        if (now >= next_escape_check) {
          next_escape_check = now + kEscapePollUs;
          if (EscapeDue() || CutOffDue()) break;
        }
        int64_t until = std::min(next, next_escape_check);
        if (switched_last_window_) until = std::min(until, now + kDrainPollUs);
        stop_cv_.wait_until(lock.native(),
                            std::chrono::steady_clock::time_point(std::chrono::microseconds(until)));
      }
    }
    const int64_t now = SteadyClock::Now();
    Step(now);
    // The next window starts when this step's switch is done: a window is
    // always window_us of serving.
    next = SteadyClock::Now() + options_.window_us;
    next_escape_check = SteadyClock::Now() + kEscapePollUs;
  }
}

void Controller::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
}

nlohmann::json Controller::DecisionJson(const Decision& d) const {
  nlohmann::json j = {{"window", d.window},
                      {"t_s", d.t_s},
                      {"monotonic_s", static_cast<double>(d.at_us) / 1e6},
                      {"observed", WindowJson(d.observed)},
                      {"features", d.features},
                      {"serving", candidates_[static_cast<size_t>(d.serving)].Label()},
                      {"reward", d.reward},
                      {"rewarded", d.rewarded},
                      {"chosen", candidates_[static_cast<size_t>(d.chosen)].Label()},
                      {"switched", d.switched},
                      {"reason", DecisionReasonName(d.reason)}};
  if (d.switched) j["switch_start_ms"] = static_cast<double>(d.switch_start_us) / 1e3;
  if (d.shift) j["shift"] = true;
  if (!d.excluded.empty()) {
    nlohmann::json labels = nlohmann::json::array();
    for (int i : d.excluded) labels.push_back(candidates_[static_cast<size_t>(i)].Label());
    j["excluded"] = std::move(labels);
  }
  if (!d.error.empty()) j["error"] = d.error;
  if (!d.note.empty()) j["note"] = d.note;
  // Who served which share of the window's requests.
  nlohmann::json served = nlohmann::json::array();
  const bool split = d.trial >= 0 && d.canary_part.seconds > 0;  // a canary ran through the window
  served.push_back({{"candidate", candidates_[static_cast<size_t>(d.serving)].Label()},
                    {"share", split ? 1 - d.canary_share : 1.0}});
  if (d.trial >= 0) j["trial"] = candidates_[static_cast<size_t>(d.trial)].Label();
  if (split) {
    served.back()["reward"] = d.serving_reward;
    served.back()["p99_ms"] = d.serving_part.p99_ms;
    served.push_back({{"candidate", candidates_[static_cast<size_t>(d.trial)].Label()},
                      {"share", d.canary_share},
                      {"canary", true},
                      {"reward", d.canary_reward},
                      {"p99_ms", d.canary_part.p99_ms},
                      {"throughput", d.canary_part.throughput},
                      {"error_rate", d.canary_part.error_rate}});
  }
  j["served"] = std::move(served);
  return j;
}

nlohmann::json Controller::StatsJson() const {
  MutexLock lock(mu_);
  nlohmann::json arms = nlohmann::json::array();
  for (size_t i = 0; i < candidates_.size(); ++i) {
    nlohmann::json a = {{"candidate", candidates_[i].Label()}, {"failed", static_cast<bool>(failed_[i])}};
    if (i < estimates_.size()) {
      a["plays"] = estimates_[i].plays;
      a["mean_reward"] = estimates_[i].mean;
    }
    arms.push_back(std::move(a));
  }
  nlohmann::json last = nlohmann::json::array();
  for (const auto& d : recent_) last.push_back(DecisionJson(d));
  const int trial = trial_live_.load();
  return {{"algorithm", options_.algorithm},
          {"reward", options_.reward.Describe()},
          {"window_s", static_cast<double>(options_.window_us) / 1e6},
          {"current", candidates_[static_cast<size_t>(current_.load())].Label()},
          {"canary", trial >= 0 ? nlohmann::json{{"candidate", candidates_[static_cast<size_t>(trial)].Label()},
                                                 {"share", options_.canary_share}}
                                : nlohmann::json(nullptr)},
          {"switches", switches_.load()},
          {"candidates", std::move(arms)},
          {"last_decisions", std::move(last)}};
}

}  // namespace switchyard
