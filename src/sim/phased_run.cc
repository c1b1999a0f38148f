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

}  // namespace

double RunFigures::mean_reward() const {
  if (phases.empty()) return 0;
  double sum = 0;
  for (const PhaseFigures& p : phases) sum += p.reward;
  return sum / static_cast<double>(phases.size());
}

Result<RunFigures> RunWorkload(SimServer& server, const SimWorkload& workload, const RunOptions& options,
                               Controller* controller) {
  if (options.window_us <= 0) return InvalidArgument("the window must be positive");
  if (options.warmup_us < 0) return InvalidArgument("the warm-up must not be negative");
  if (workload.phases.empty() && workload.replay.empty()) return InvalidArgument("the workload is empty");
  const int64_t t0 = server.now_us();
  const int64_t measure_us = t0 + (workload.phases.empty() ? 0 : options.warmup_us);

  std::vector<Segment> segments;
  if (workload.phases.empty()) {
    Segment s;
    s.start_us = measure_us;
    s.end_us = measure_us + workload.duration_us();
    s.phase = 0;
    segments.push_back(std::move(s));
  } else {
    int64_t at = t0;
    if (options.warmup_us > 0) {
      Segment w;
      w.start_us = at;
      w.end_us = at + options.warmup_us;
      w.load = &workload.phases[0];
      segments.push_back(std::move(w));
      at = w.end_us;
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
  }
  const int64_t run_end_us = segments.back().end_us;

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

  std::mt19937_64 mix_rng(options.seed * 7919);
  std::mt19937_64 demand_rng(options.seed * 104729 + 17);
  // Sends due: (time, order, segment, closed-loop client or -1).
  using Send = std::tuple<int64_t, uint64_t, int, int>;
  std::priority_queue<Send, std::vector<Send>, std::greater<>> sends;
  uint64_t order = 0;
  std::vector<int> client_segment;  // per closed-loop client
  size_t replay_next = 0;
  size_t started = 0;  // segments whose clients have started
  std::unordered_map<uint64_t, InFlight> in_flight;
  std::map<int64_t, Second> seconds;
  const int64_t total_seconds = (run_end_us - measure_us + 999'999) / 1'000'000;
  std::vector<double> second_reward(static_cast<size_t>(std::max<int64_t>(0, total_seconds)), 0);

  auto start_segment = [&](size_t index) {
    Segment& s = segments[index];
    if (s.load == nullptr) return;  // replay: driven by replay_next
    if (s.load->rate) {
      s.schedule.emplace(*s.load->rate, s.load->arrivals,
                         options.seed * 1'000'003 + static_cast<uint64_t>(s.phase + 1));
      s.next_open_us = s.start_us + s.schedule->Next();
      if (s.next_open_us < s.end_us) sends.emplace(s.next_open_us, order++, static_cast<int>(index), -1);
    } else {
      for (int c = 0; c < s.load->connections; ++c) {
        client_segment.push_back(static_cast<int>(index));
        sends.emplace(s.start_us, order++, static_cast<int>(index),
                      static_cast<int>(client_segment.size()) - 1);
      }
    }
  };
  auto send = [&](int segment, int client, int64_t intended, const CostClass& cost_class, int64_t demand,
                  int connection, const std::string& who, int64_t priority) {
    Segment& s = segments[static_cast<size_t>(segment)];
    SimRequest r;
    r.cost_class = cost_class;
    r.demand_us = demand;
    r.connection = connection;
    r.client = who;
    r.priority = priority;
    const uint64_t id = server.Admit(r);
    in_flight[id] = {segment, intended, client};
    ++s.sent;
    ++s.outstanding;
    ++figures.sent;
  };
  auto send_from_mix = [&](int segment, int client, int64_t intended) {
    Segment& s = segments[static_cast<size_t>(segment)];
    const size_t entry = s.load->mix.Pick(mix_rng);
    const CostClass& cost_class = s.load->entry_class[entry];
    const MixEntry& e = s.load->mix.entries()[entry];
    const int connection = client >= 0 ? client : static_cast<int>(s.sent);
    send(segment, client, intended, cost_class, workload.demands.Draw(cost_class, demand_rng), connection,
         e.client, e.priority.value_or(0));
  };
  // A finished phase: its figures, and its latencies freed.
  auto close_phase = [&](Segment& s, bool force) {
    if (s.phase < 0) return;
    if (!force && (s.outstanding > 0 || server.now_us() < s.end_us)) return;
    PhaseFigures& p = figures.phases[static_cast<size_t>(s.phase)];
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
  };
  auto close_seconds = [&](int64_t now) {
    while (!seconds.empty()) {
      const int64_t k = seconds.begin()->first;
      const int64_t second_end = measure_us + (k + 1) * 1'000'000;
      if (now < std::min(second_end, run_end_us)) return;
      Second& sec = seconds.begin()->second;
      const double len_s =
          static_cast<double>(std::min(second_end, run_end_us) - (measure_us + k * 1'000'000)) / 1e6;
      const double ok_s = static_cast<double>(sec.latencies.size()) / std::max(len_s, 1e-6);
      second_reward[static_cast<size_t>(k)] = ok_s / (1 + P99Ms(sec.latencies));
      seconds.erase(seconds.begin());
    }
  };

  std::string serving = server.serving().Label();
  int64_t activations = server.activations();
  figures.serving.push_back({static_cast<double>(t0 - measure_us) / 1e6, 0, serving});
  int64_t next_window = t0 + options.window_us;
  std::vector<SimCompletion> done;

  for (;;) {
    while (started < segments.size() && segments[started].start_us <= server.now_us())
      start_segment(started++);
    int64_t t = std::min(server.NextEventUs(), sends.empty() ? INT64_MAX : std::get<0>(sends.top()));
    if (replay_next < workload.replay.size())
      t = std::min(t, measure_us + workload.replay[replay_next].arrival_us);
    if (started < segments.size()) t = std::min(t, segments[started].start_us);
    const bool windows_left = controller != nullptr && next_window <= run_end_us;
    if (windows_left) t = std::min(t, next_window);
    if (t == INT64_MAX) break;  // nothing more will happen

    done.clear();
    server.RunUntil(t, done);
    for (const SimCompletion& c : done) {
      auto it = in_flight.find(c.id);
      if (it == in_flight.end()) continue;
      const InFlight f = it->second;
      in_flight.erase(it);
      ++figures.answered;
      Segment& s = segments[static_cast<size_t>(f.segment)];
      const int64_t latency = c.done_us - f.intended_us;
      if (s.phase >= 0) s.latencies.push_back(latency);
      if (c.done_us >= measure_us && c.done_us < run_end_us) {
        seconds[(c.done_us - measure_us) / 1'000'000].latencies.push_back(latency);
      }
      --s.outstanding;
      if (f.client >= 0 && c.done_us < s.end_us) sends.emplace(c.done_us, order++, f.segment, f.client);
      if (f.client < 0 && s.load != nullptr) {
        // An open-loop connection is free: the oldest request waiting for one.
        --s.open_in_flight;
        if (!s.backlog.empty()) {
          const int64_t intended = s.backlog.front();
          s.backlog.pop_front();
          ++s.open_in_flight;
          send_from_mix(f.segment, -1, intended);
        }
      }
      close_phase(s, false);
    }
    if (server.activations() != activations) {
      activations = server.activations();
      const double at = static_cast<double>(server.now_us() - measure_us) / 1e6;
      figures.serving.back().end_s = at;
      figures.serving.push_back({at, 0, server.serving().Label()});
    }
    while (started < segments.size() && segments[started].start_us <= t) start_segment(started++);
    while (!sends.empty() && std::get<0>(sends.top()) <= t) {
      const auto [when, ignored, segment, client] = sends.top();
      sends.pop();
      Segment& s = segments[static_cast<size_t>(segment)];
      if (client >= 0) {
        send_from_mix(segment, client, when);
      } else if (s.open_in_flight >= s.load->connections) {
        s.backlog.push_back(when);  // every connection busy: it waits, its latency counting
      } else {
        ++s.open_in_flight;
        send_from_mix(segment, client, when);
      }
      if (client < 0) {  // open loop: the next scheduled send
        s.next_open_us = s.start_us + s.schedule->Next();
        if (s.next_open_us < s.end_us) sends.emplace(s.next_open_us, order++, segment, -1);
      }
    }
    while (replay_next < workload.replay.size() &&
           measure_us + workload.replay[replay_next].arrival_us <= t) {
      const ReplayRequest& r = workload.replay[replay_next];
      send(0, -1, t, r.cost_class, r.demand_us, static_cast<int>(replay_next), r.client, r.priority);
      ++replay_next;
    }
    close_seconds(t);
    if (windows_left && (t == next_window || controller->SettleDue())) {
      controller->Step(t);
      next_window = t + options.window_us;
    }
    if (started == segments.size() && sends.empty() && replay_next == workload.replay.size() &&
        server.in_system() == 0 && t >= run_end_us) {
      break;
    }
  }
  close_seconds(INT64_MAX);
  for (Segment& s : segments) close_phase(s, /*force=*/true);  // what was never answered: lost
  figures.serving.back().end_s =
      static_cast<double>(std::max(server.now_us(), run_end_us) - measure_us) / 1e6;
  figures.lost = figures.sent - figures.answered;
  figures.duplicates = server.duplicates();
  figures.switches = server.switches();
  figures.simulated_s = static_cast<double>(server.now_us() - t0) / 1e6;
  // Each phase's reward: the mean over the seconds that begin in it.
  for (PhaseFigures& p : figures.phases) {
    const int64_t first = static_cast<int64_t>(std::floor(p.start_s + 1e-9));
    const int64_t last = static_cast<int64_t>(std::ceil(p.start_s + p.duration_s - 1e-9));  // exclusive
    double sum = 0;
    int n = 0;
    for (int64_t k = std::max<int64_t>(0, first); k < last && k < static_cast<int64_t>(second_reward.size());
         ++k) {
      sum += second_reward[static_cast<size_t>(k)];
      ++n;
    }
    p.reward = n > 0 ? sum / n : 0;
  }
  return figures;
}

}  // namespace switchyard
