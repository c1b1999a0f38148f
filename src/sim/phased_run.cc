#include "sim/phased_run.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <numeric>
#include <queue>
#include <tuple>
#include <unordered_map>

namespace switchyard {

namespace {

double P99Ms(std::vector<int64_t>& latencies) {
  if (latencies.empty()) return 0;
  const double n = static_cast<double>(latencies.size());
  const size_t k = static_cast<size_t>(std::max(1.0, std::ceil(0.99 * n))) - 1;
  std::nth_element(latencies.begin(), latencies.begin() + static_cast<std::ptrdiff_t>(k), latencies.end());
  return static_cast<double>(latencies[k]) / 1e3;
}

// A stretch of load: the warm-up (phase -1), a phase, or the replay.
struct Segment {
  int64_t start_us = 0;
  int64_t end_us = 0;
  int phase = -1;
  const SimPhase* load = nullptr;  // null: the replay
  // Open loop: its schedule and how many it sent.
  std::optional<ArrivalSchedule> schedule;
  int64_t next_open_us = INT64_MAX;
  // Open loop: requests in flight, and those scheduled while every one of
  // the pool's `connections` was busy (their intended send times).
  int open_in_flight = 0;
  std::deque<int64_t> backlog;
  uint64_t sent = 0;
  // Answers still due for requests sent in it, and their latencies (phases).
  uint64_t outstanding = 0;
  std::vector<int64_t> latencies;
};

// What the client side knows of a request in the server.
struct InFlight {
  int segment = 0;
  int64_t intended_us = 0;
  int client = -1;  // a closed-loop client, or -1
};

// A second of the run (from the end of the warm-up): its answers' latencies.
struct Second {
  std::vector<int64_t> latencies;
};

Status CheckRunInputs(const SimWorkload& workload, const RunOptions& options) {
  if (options.window_us <= 0) return InvalidArgument("the window must be positive");
  if (options.warmup_us < 0) return InvalidArgument("the warm-up must not be negative");
  if (workload.phases.empty() && workload.replay.empty()) return InvalidArgument("the workload is empty");
  return Status::Ok();
}

// The run's stretches of load, back to back from t0: the warm-up (when the
// workload has phases and options ask for one) and each phase — or the
// replay, as one phase starting at measure_us.
std::vector<Segment> SegmentsOf(const SimWorkload& workload, const RunOptions& options, int64_t t0,
                                int64_t measure_us) {
  std::vector<Segment> segments;
  if (workload.phases.empty()) {
    Segment s;
    s.start_us = measure_us;
    s.end_us = measure_us + workload.duration_us();
    s.phase = 0;
    segments.push_back(std::move(s));
    return segments;
  }
  int64_t at = t0;
  if (options.warmup_us > 0) {
    Segment w;
    w.start_us = at;
    w.end_us = at + options.warmup_us;
    w.load = &workload.phases[0];
    at = w.end_us;
    segments.push_back(std::move(w));
  }
  for (size_t i = 0; i < workload.phases.size(); ++i) {
    Segment s;
    s.start_us = at;
    s.end_us = at + workload.phases[i].duration_us;
    s.phase = static_cast<int>(i);
    s.load = &workload.phases[i];
    at = s.end_us;
    segments.push_back(std::move(s));
  }
  return segments;
}

// The figures before anything ran: each phase's name, repetition, start and
// duration.
RunFigures FiguresBeforeRun(const SimWorkload& workload, const std::vector<Segment>& segments,
                            int64_t measure_us) {
  RunFigures figures;
  for (size_t i = 0; i < workload.phase_count(); ++i) {
    PhaseFigures p;
    p.name = workload.phase_name(i);
    p.repetition = workload.phases.empty() ? 1 : workload.phases[i].repetition;
    figures.phases.push_back(std::move(p));
  }
  for (const Segment& s : segments) {
    if (s.phase < 0) continue;
    PhaseFigures& p = figures.phases[static_cast<size_t>(s.phase)];
    p.start_s = static_cast<double>(s.start_us - measure_us) / 1e6;
    p.duration_s = static_cast<double>(s.end_us - s.start_us) / 1e6;
  }
  return figures;
}

// One RunWorkload (phased_run.h): the clients' side of the simulation —
// whom to send what when, what came back — and the controller's windows.
// Advances the server from one instant where something happens to the next.
class PhasedRun {
 public:
  PhasedRun(SimServer& server, const SimWorkload& workload, const RunOptions& options, Controller* controller)
      : server_(server),
        workload_(workload),
        options_(options),
        controller_(controller),
        t0_(server.now_us()),
        measure_us_(t0_ + (workload.phases.empty() ? 0 : options.warmup_us)),
        segments_(SegmentsOf(workload, options, t0_, measure_us_)),
        run_end_us_(segments_.back().end_us),
        figures_(FiguresBeforeRun(workload, segments_, measure_us_)),
        mix_rng_(options.seed * 7919),
        demand_rng_(options.seed * 104729 + 17),
        second_reward_(
            static_cast<size_t>(std::max<int64_t>(0, (run_end_us_ - measure_us_ + 999'999) / 1'000'000)), 0),
        activations_(server.activations()),
        next_window_(t0_ + options.window_us) {
    figures_.serving.push_back({static_cast<double>(t0_ - measure_us_) / 1e6, 0, server.serving().Label()});
  }

  RunFigures Run() {
    for (;;) {
      StartSegmentsDue(server_.now_us());
      const int64_t t = NextInstant();
      if (t == INT64_MAX) break;  // nothing more will happen
      done_.clear();
      server_.RunUntil(t, done_);
      for (const SimCompletion& c : done_) ReceiveAnswer(c);
      NoteSwitch();
      StartSegmentsDue(t);
      SendDue(t);
      SendReplayDue(t);
      CloseSeconds(t);
      if (WindowsLeft() && (t == next_window_ || controller_->SettleDue())) {
        controller_->Step(t);
        next_window_ = t + options_.window_us;
      }
      if (Finished(t)) break;
    }
    return Finish();
  }

 private:
  // Sends due: (time, order, segment, closed-loop client or -1).
  using Send = std::tuple<int64_t, uint64_t, int, int>;

  bool WindowsLeft() const { return controller_ != nullptr && next_window_ <= run_end_us_; }

  // The next instant something happens: the server's next event, a send,
  // a replayed arrival, a segment's start, or a controller window.
  int64_t NextInstant() const {
    int64_t t = std::min(server_.NextEventUs(), sends_.empty() ? INT64_MAX : std::get<0>(sends_.top()));
    if (replay_next_ < workload_.replay.size())
      t = std::min(t, measure_us_ + workload_.replay[replay_next_].arrival_us);
    if (started_ < segments_.size()) t = std::min(t, segments_[started_].start_us);
    if (WindowsLeft()) t = std::min(t, next_window_);
    return t;
  }

  bool Finished(int64_t t) const {
    return started_ == segments_.size() && sends_.empty() && replay_next_ == workload_.replay.size() &&
           server_.in_system() == 0 && t >= run_end_us_;
  }

  void StartSegmentsDue(int64_t until) {
    while (started_ < segments_.size() && segments_[started_].start_us <= until) StartSegment(started_++);
  }

  // Its first open-loop send scheduled, or its closed-loop clients' first.
  void StartSegment(size_t index) {
    Segment& s = segments_[index];
    if (s.load == nullptr) return;  // replay: driven by replay_next_
    if (s.load->rate) {
      s.schedule.emplace(*s.load->rate, s.load->arrivals,
                         options_.seed * 1'000'003 + static_cast<uint64_t>(s.phase + 1));
      s.next_open_us = s.start_us + s.schedule->Next();
      if (s.next_open_us < s.end_us) sends_.emplace(s.next_open_us, order_++, static_cast<int>(index), -1);
    } else {
      for (int c = 0; c < s.load->connections; ++c) {
        client_segment_.push_back(static_cast<int>(index));
        sends_.emplace(s.start_us, order_++, static_cast<int>(index),
                       static_cast<int>(client_segment_.size()) - 1);
      }
    }
  }

  void SendRequest(int segment, int client, int64_t intended, const CostClass& cost_class, int64_t demand,
                   int connection, const std::string& who, int64_t priority) {
    Segment& s = segments_[static_cast<size_t>(segment)];
    SimRequest r;
    r.cost_class = cost_class;
    r.demand_us = demand;
    r.connection = connection;
    r.client = who;
    r.priority = priority;
    const uint64_t id = server_.Admit(r);
    in_flight_[id] = {segment, intended, client};
    ++s.sent;
    ++s.outstanding;
    ++figures_.sent;
  }

  void SendFromMix(int segment, int client, int64_t intended) {
    Segment& s = segments_[static_cast<size_t>(segment)];
    const size_t entry = s.load->mix.Pick(mix_rng_);
    const CostClass& cost_class = s.load->entry_class[entry];
    const MixEntry& e = s.load->mix.entries()[entry];
    const int connection = client >= 0 ? client : static_cast<int>(s.sent);
    SendRequest(segment, client, intended, cost_class, workload_.demands.Draw(cost_class, demand_rng_),
                connection, e.client, e.priority.value_or(0));
  }

  // An answer: its latency in its phase and its second; its closed-loop
  // client sends again, or its open-loop connection takes the backlog's next.
  void ReceiveAnswer(const SimCompletion& c) {
    auto it = in_flight_.find(c.id);
    if (it == in_flight_.end()) return;
    const InFlight f = it->second;
    in_flight_.erase(it);
    ++figures_.answered;
    Segment& s = segments_[static_cast<size_t>(f.segment)];
    const int64_t latency = c.done_us - f.intended_us;
    if (s.phase >= 0) s.latencies.push_back(latency);
    if (c.done_us >= measure_us_ && c.done_us < run_end_us_) {
      seconds_[(c.done_us - measure_us_) / 1'000'000].latencies.push_back(latency);
    }
    --s.outstanding;
    if (f.client >= 0 && c.done_us < s.end_us) sends_.emplace(c.done_us, order_++, f.segment, f.client);
    if (f.client < 0 && s.load != nullptr) {
      // An open-loop connection is free: the oldest request waiting for one.
      --s.open_in_flight;
      if (!s.backlog.empty()) {
        const int64_t intended = s.backlog.front();
        s.backlog.pop_front();
        ++s.open_in_flight;
        SendFromMix(f.segment, -1, intended);
      }
    }
    ClosePhase(s, false);
  }

  // A new configuration serving: a new serving segment from now.
  void NoteSwitch() {
    if (server_.activations() == activations_) return;
    activations_ = server_.activations();
    const double at = static_cast<double>(server_.now_us() - measure_us_) / 1e6;
    figures_.serving.back().end_s = at;
    figures_.serving.push_back({at, 0, server_.serving().Label()});
  }

  void SendDue(int64_t t) {
    while (!sends_.empty() && std::get<0>(sends_.top()) <= t) {
      const auto [when, ignored, segment, client] = sends_.top();
      sends_.pop();
      Segment& s = segments_[static_cast<size_t>(segment)];
      if (client >= 0) {
        SendFromMix(segment, client, when);
      } else if (s.open_in_flight >= s.load->connections) {
        s.backlog.push_back(when);  // every connection busy: it waits, its latency counting
      } else {
        ++s.open_in_flight;
        SendFromMix(segment, client, when);
      }
      if (client < 0) {  // open loop: the next scheduled send
        s.next_open_us = s.start_us + s.schedule->Next();
        if (s.next_open_us < s.end_us) sends_.emplace(s.next_open_us, order_++, segment, -1);
      }
    }
  }

  void SendReplayDue(int64_t t) {
    while (replay_next_ < workload_.replay.size() &&
           measure_us_ + workload_.replay[replay_next_].arrival_us <= t) {
      const ReplayRequest& r = workload_.replay[replay_next_];
      SendRequest(0, -1, t, r.cost_class, r.demand_us, static_cast<int>(replay_next_), r.client, r.priority);
      ++replay_next_;
    }
  }

  // A finished phase: its figures, and its latencies freed.
  void ClosePhase(Segment& s, bool force) {
    if (s.phase < 0) return;
    if (!force && (s.outstanding > 0 || server_.now_us() < s.end_us)) return;
    PhaseFigures& p = figures_.phases[static_cast<size_t>(s.phase)];
    p.sent = s.sent;
    p.ok = s.latencies.size();
    p.ok_rps = p.duration_s > 0 ? static_cast<double>(p.ok) / p.duration_s : 0;
    if (!s.latencies.empty()) {
      p.mean_ms = static_cast<double>(std::accumulate(s.latencies.begin(), s.latencies.end(), int64_t{0})) /
                  static_cast<double>(s.latencies.size()) / 1e3;
    }
    p.p99_ms = P99Ms(s.latencies);
    p.phase_reward = p.ok > 0 ? p.ok_rps / (1 + p.p99_ms) : 0;
    s.latencies.clear();
    s.latencies.shrink_to_fit();
    s.phase = -2;  // closed
  }

  // Every second over by `now`: its reward, and its latencies freed.
  void CloseSeconds(int64_t now) {
    while (!seconds_.empty()) {
      const int64_t k = seconds_.begin()->first;
      const int64_t second_end = measure_us_ + (k + 1) * 1'000'000;
      if (now < std::min(second_end, run_end_us_)) return;
      Second& sec = seconds_.begin()->second;
      const double len_s =
          static_cast<double>(std::min(second_end, run_end_us_) - (measure_us_ + k * 1'000'000)) / 1e6;
      const double ok_s = static_cast<double>(sec.latencies.size()) / std::max(len_s, 1e-6);
      second_reward_[static_cast<size_t>(k)] = ok_s / (1 + P99Ms(sec.latencies));
      seconds_.erase(seconds_.begin());
    }
  }

  RunFigures Finish() {
    CloseSeconds(INT64_MAX);
    for (Segment& s : segments_) ClosePhase(s, /*force=*/true);  // what was never answered: lost
    figures_.serving.back().end_s =
        static_cast<double>(std::max(server_.now_us(), run_end_us_) - measure_us_) / 1e6;
    figures_.lost = figures_.sent - figures_.answered;
    figures_.duplicates = server_.duplicates();
    figures_.switches = server_.switches();
    figures_.simulated_s = static_cast<double>(server_.now_us() - t0_) / 1e6;
    for (PhaseFigures& p : figures_.phases) p.reward = MeanRewardOfSecondsIn(p);
    return std::move(figures_);
  }

  // A phase's reward: the mean over the seconds that begin in it.
  double MeanRewardOfSecondsIn(const PhaseFigures& p) const {
    const int64_t first = static_cast<int64_t>(std::floor(p.start_s + 1e-9));
    const int64_t last = static_cast<int64_t>(std::ceil(p.start_s + p.duration_s - 1e-9));  // exclusive
    double sum = 0;
    int n = 0;
    for (int64_t k = std::max<int64_t>(0, first); k < last && k < static_cast<int64_t>(second_reward_.size());
         ++k) {
      sum += second_reward_[static_cast<size_t>(k)];
      ++n;
    }
    return n > 0 ? sum / n : 0;
  }

  SimServer& server_;
  const SimWorkload& workload_;
  const RunOptions& options_;
  Controller* const controller_;
  const int64_t t0_;
  const int64_t measure_us_;  // the warm-up's end
  std::vector<Segment> segments_;
  const int64_t run_end_us_;
  RunFigures figures_;

  std::mt19937_64 mix_rng_;
  std::mt19937_64 demand_rng_;
  std::priority_queue<Send, std::vector<Send>, std::greater<>> sends_;
  uint64_t order_ = 0;
  std::vector<int> client_segment_;  // per closed-loop client
  size_t replay_next_ = 0;
  size_t started_ = 0;  // segments whose clients have started
  std::unordered_map<uint64_t, InFlight> in_flight_;
  std::map<int64_t, Second> seconds_;
  std::vector<double> second_reward_;
  int64_t activations_;
  int64_t next_window_;
  std::vector<SimCompletion> done_;
};

}  // namespace

double RunFigures::mean_reward() const {
  if (phases.empty()) return 0;
  double sum = 0;
  for (const PhaseFigures& p : phases) sum += p.reward;
  return sum / static_cast<double>(phases.size());
}

Result<RunFigures> RunWorkload(SimServer& server, const SimWorkload& workload, const RunOptions& options,
                               Controller* controller) {
  if (Status s = CheckRunInputs(workload, options); !s.ok()) return s;
  return PhasedRun(server, workload, options, controller).Run();
}

}  // namespace switchyard
