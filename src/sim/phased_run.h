// RunWorkload: a SimWorkload's clients against a SimServer, in virtual time,
// and what they measured — per phase, as `bench --phases` reports it, and
// per second, as the controller's reward sees the server.
//
// Clients, as the load generator's: closed loop, `connections` clients each
// sending its next request the instant the last is answered, until the
// phase's end (its last answers may land in the next phase, whose clients
// start on time beside them); open loop, requests on the ArrivalSchedule of
// the phase's rate and arrivals, seeded as `bench` seeds its first thread,
// over a pool of `connections`: a request scheduled while all are busy waits
// for the next free one, its latency counted from its intended send time
// (the backlog is the phase's own, where bench shares it across phases). A warm-up (phase 1's load,
// unmeasured) runs first, as `bench --warmup`. Mix entries are drawn with the seed; demands from the
// workload's ClassDemands with a generator of their own.
//
// Per phase (requests sent in it, latency from the intended send to the
// answer): sent, ok, ok/s over the phase, p99, phase_reward = ok/s / (1 + p99
// ms). Per second of the run (answers landing in it): ok/s / (1 + p99 ms);
// a phase's `reward` is the mean over the seconds that begin in it.
//
// `controller`, when given, is driven as Controller::Run drives it in real
// time, from the warm-up's start to the last phase's end: Step every
// window_us of virtual time, after the instant's answers and sends — or,
// after a switch, at the first instant its SettleDue() (the old
// configuration drained), the next window counting from there.
//
// Not thread-safe; runs on the caller's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/adaptation.h"
#include "sim/sim_server.h"
#include "sim/sim_workload.h"

namespace switchyard {

struct PhaseFigures {
  std::string name;
  int repetition = 1;
  double start_s = 0;  // from the end of the warm-up
  double duration_s = 0;
  uint64_t sent = 0;
  uint64_t ok = 0;
  double ok_rps = 0;
  double mean_ms = 0;  // latency of the answered
  double p99_ms = 0;
  double reward = 0;        // mean per-second reward over the phase's seconds
  double phase_reward = 0;  // ok_rps / (1 + p99_ms)
};


struct RunFigures {
  std::vector<PhaseFigures> phases;
  std::vector<ServingSegment> serving;
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t lost = 0;        // sent and never answered
  uint64_t duplicates = 0;  // answers for a request already answered
  int64_t switches = 0;
  double simulated_s = 0;   // virtual time to the last answer
  double mean_reward() const;
};

struct RunOptions {
  int64_t warmup_us = 1'000'000;
  int64_t window_us = 1'000'000;
  uint64_t seed = 1;
};

Result<RunFigures> RunWorkload(SimServer& server, const SimWorkload& workload, const RunOptions& options,
                               Controller* controller = nullptr);

}  // namespace switchyard
