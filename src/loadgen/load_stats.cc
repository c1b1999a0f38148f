#include "loadgen/load_stats.h"

#include <algorithm>

namespace switchyard {

PhaseStats::PhaseStats() : latency(std::make_unique<LatencyHistogram>()) {
  for (auto& h : by_kind) h = std::make_unique<LatencyHistogram>();
}

GroupStats::GroupStats(std::string group_name, std::string client_id)
    : name(std::move(group_name)),
      client(std::move(client_id)),
      ok_latency(std::make_unique<LatencyHistogram>()) {}

uint64_t GroupStats::error_count() const {
  uint64_t n = 0;
  for (const auto& [what, count] : errors) n += count;
  return n;
}

uint64_t GroupStats::errors_of(const std::string& what) const {
  auto it = errors.find(what);
  return it == errors.end() ? 0 : it->second;
}

void GroupStats::Merge(const GroupStats& other) {
  requests += other.requests;
  ok += other.ok;
  for (const auto& [what, count] : other.errors) errors[what] += count;
  ok_latency->Merge(*other.ok_latency);
}

void MergeGroups(std::vector<GroupStats>& into, const std::vector<GroupStats>& from) {
  for (const GroupStats& g : from) {
    auto it = std::find_if(into.begin(), into.end(),
                           [&](const GroupStats& x) { return x.name == g.name && x.client == g.client; });
    if (it == into.end()) {
      into.emplace_back(g.name, g.client);
      it = into.end() - 1;
    }
    it->Merge(g);
  }
}

namespace {

// The error key of an outcome; short enough for the small-string buffer, so
// counting an error allocates only the first time a key is seen.
std::string ErrorKey(int status, const char* error) {
  return status != 0 ? std::to_string(status) : std::string(error);
}

}  // namespace

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
  MergeGroups(entries, other.entries);
}

std::vector<GroupStats> PhaseStats::Clients() const {
  std::vector<GroupStats> clients;
  for (const GroupStats& e : entries) {
    auto it = std::find_if(clients.begin(), clients.end(), [&](const GroupStats& c) { return c.name == e.client; });
    if (it == clients.end()) {
      clients.emplace_back(e.client, e.client);
      it = clients.end() - 1;
    }
    it->Merge(e);
  }
  return clients;
}

void LoadStats::NameEntries(size_t phase, const RequestMix& mix) {
  PhaseStats& p = phases_[phase];
  p.entries.clear();
  for (size_t i = 0; i < mix.entries().size(); ++i) p.entries.emplace_back(mix.Label(i), mix.entries()[i].client);
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

void LoadStats::RecordOutcome(size_t phase, size_t second_index, RequestKind kind, size_t entry, int64_t latency_us,
                              int status, const char* error) {
  PhaseStats& p = phases_[phase];
  SecondStats& s = second(second_index);
  GroupStats* group = entry < p.entries.size() ? &p.entries[entry] : nullptr;
  ++p.requests;
  ++s.requests;
  if (group != nullptr) ++group->requests;
  if (status >= 200 && status < 300) {
    ++p.ok;
    if (group != nullptr) {
      ++group->ok;
      group->ok_latency->Record(latency_us);
    }
  } else {
    const std::string key = ErrorKey(status, error);
    ++p.errors[key];
    ++s.errors;
    if (group != nullptr) ++group->errors[key];
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
