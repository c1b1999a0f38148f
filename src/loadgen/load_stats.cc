#include "loadgen/load_stats.h"

namespace switchyard {

PhaseStats::PhaseStats() : latency(std::make_unique<LatencyHistogram>()) {
  for (auto& h : by_kind) h = std::make_unique<LatencyHistogram>();
}

uint64_t PhaseStats::error_count() const {
  uint64_t n = 0;
  for (const auto& [what, count] : errors) n += count;
  return n;
}

void PhaseStats::Merge(const PhaseStats& other) {
  sent += other.sent;
  requests += other.requests;
  ok += other.ok;
  late += other.late;
  late_generator += other.late_generator;
  for (const auto& [what, count] : other.errors) errors[what] += count;
  latency->Merge(*other.latency);
  for (size_t k = 0; k < by_kind.size(); ++k) by_kind[k]->Merge(*other.by_kind[k]);
}

SecondStats& LoadStats::second(size_t s) {
  while (seconds_.size() <= s) seconds_.emplace_back();
  return seconds_[s];
}

void LoadStats::RecordSend(size_t phase, size_t second_index) {
  ++phases_[phase].sent;
  SecondStats& s = second(second_index);
  s.phase = static_cast<int>(phase);
  ++s.sent;
}

void LoadStats::RecordOutcome(size_t phase, size_t second_index, RequestKind kind, int64_t latency_us, int status,
                              const char* error) {
  PhaseStats& p = phases_[phase];
  SecondStats& s = second(second_index);
  ++p.requests;
  ++s.requests;
  if (status >= 200 && status < 300) {
    ++p.ok;
  } else {
    ++p.errors[status != 0 ? std::to_string(status) : std::string(error)];
    ++s.errors;
  }
  // Failed requests are timed too: a 503 that came back at once is part of
  // what a client saw.
  p.latency->Record(latency_us);
  p.by_kind[static_cast<size_t>(kind)]->Record(latency_us);
  s.latency->Record(latency_us);
}

void LoadStats::Merge(const LoadStats& other) {
  for (size_t i = 0; i < phases_.size() && i < other.phases_.size(); ++i) phases_[i].Merge(other.phases_[i]);
  for (size_t i = 0; i < other.seconds_.size(); ++i) {
    const SecondStats& o = other.seconds_[i];
    SecondStats& s = second(i);
    if (o.sent + o.requests > 0) s.phase = std::max(s.phase, o.phase);
    s.sent += o.sent;
    s.requests += o.requests;
    s.errors += o.errors;
    s.latency->Merge(*o.latency);
  }
}

PhaseStats LoadStats::Total() const {
  PhaseStats total;
  for (const PhaseStats& p : phases_) total.Merge(p);
  return total;
}

}  // namespace switchyard
