#include "loadgen/bench_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <span>

namespace switchyard {
namespace {

using nlohmann::json;

json LatencyJson(const LatencyHistogram& h) {
  if (h.count() == 0) return json{{"count", 0}};
  return json{{"count", h.count()},        {"mean", h.mean()},
              {"min", h.min()},            {"p50", h.Percentile(0.50)},
              {"p90", h.Percentile(0.90)}, {"p95", h.Percentile(0.95)},
              {"p99", h.Percentile(0.99)}, {"p999", h.Percentile(0.999)},
              {"max", h.max()}};
}

json ErrorsJson(const std::map<std::string, uint64_t>& errors) {
  json by_status = json::object();
  for (const auto& [what, count] : errors) by_status[what] = count;
  return by_status;
}

// A mix entry's or a client's figures; `seconds` is the window they share.
json GroupJson(const GroupStats& g, double seconds) {
  json out;
  out["requests"] = g.requests;
  out["ok"] = g.ok;
  out["errors"] = g.error_count();
  out["errors_by_status"] = ErrorsJson(g.errors);
  out["rejected_503"] = g.errors_of("503");
  out["expired_504"] = g.errors_of("504");
  out["throughput_rps"] = seconds > 0 ? static_cast<double>(g.requests) / seconds : 0.0;
  out["goodput_rps"] = seconds > 0 ? static_cast<double>(g.ok) / seconds : 0.0;
  out["ok_latency_us"] = LatencyJson(*g.ok_latency);
  return out;
}

// What the mixes say of each label: its entry's text (the first phase's,
// should phases give one label to different requests).
std::map<std::string, std::string> EntrySpecs(std::span<const LoadPhase> phases) {
  std::map<std::string, std::string> specs;
  for (const LoadPhase& p : phases) {
    for (size_t i = 0; i < p.mix.entries().size(); ++i) specs.try_emplace(p.mix.Label(i), p.mix.EntryText(i));
  }
  return specs;
}

// The figures shared by the top level and each phase.
void PutFigures(json& out, const PhaseStats& s, double seconds, std::optional<double> offered,
                std::span<const LoadPhase> phases) {
  out["requests"] = s.requests;
  out["ok"] = s.ok;
  out["errors"] = s.error_count();
  out["errors_by_status"] = ErrorsJson(s.errors);
  out["throughput_rps"] = seconds > 0 ? static_cast<double>(s.requests) / seconds : 0.0;
  out["goodput_rps"] = seconds > 0 ? static_cast<double>(s.ok) / seconds : 0.0;
  if (offered) out["offered_rps"] = *offered;
  out["sent"] = s.sent;
  out["late_sends"] = s.late;
  out["late_sends_generator"] = s.late_generator;
  out["generator_saturated"] = s.sent > 0 && static_cast<double>(s.late_generator) > 0.01 * static_cast<double>(s.sent);
  out["latency_us"] = LatencyJson(*s.latency);
  json by_kind = json::object();
  for (int k = 0; k < kRequestKinds; ++k) {
    const LatencyHistogram& h = *s.by_kind[static_cast<size_t>(k)];
    if (h.count() > 0) by_kind[std::string(RequestKindName(static_cast<RequestKind>(k)))] = LatencyJson(h);
  }
  out["latency_by_kind_us"] = by_kind;
  // Keyed by label: phases that gave one label to two clients add up here
  // (and stay apart under `clients`).
  std::vector<GroupStats> by_label;
  for (const GroupStats& g : s.entries) {
    auto it = std::find_if(by_label.begin(), by_label.end(), [&](const GroupStats& x) { return x.name == g.name; });
    if (it == by_label.end()) {
      by_label.emplace_back(g.name, g.client);
      it = by_label.end() - 1;
    }
    it->Merge(g);
  }
  const auto specs = EntrySpecs(phases);
  json entries = json::object();
  for (const GroupStats& g : by_label) {
    json e = GroupJson(g, seconds);
    if (auto it = specs.find(g.name); it != specs.end()) e["spec"] = it->second;
    e["client"] = g.client;
    entries[g.name] = e;
  }
  out["entries"] = entries;
  json clients = json::object();
  std::vector<double> named;  // ok/s of the clients the mix names
  for (const GroupStats& g : s.Clients()) {
    clients[g.name] = GroupJson(g, seconds);
    if (!g.name.empty()) named.push_back(seconds > 0 ? static_cast<double>(g.ok) / seconds : 0.0);
  }
  out["clients"] = clients;
  std::optional<double> jain = JainIndex(named);
  out["jain_index"] = jain ? json(*jain) : json(nullptr);
}

std::string Ms(const json& latency, const char* key) {
  if (!latency.contains(key)) return "-";
  return fmt::format("{:.2f}", latency[key].get<double>() / 1000.0);
}

}  // namespace


std::string UtcNowRfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json SummaryJson(const RunDescription& run, const LoadResult& result) {
  json out;
  out["schema"] = 1;
  out["tool"] = "switchyard bench";
  out["url"] = run.url;
  out["started_at"] = run.started_at;
  out["load"] = json::parse(run.phases.front().LoadJson());
  out["mix"] = run.phases.front().mix.ToString();
  out["warmup_s"] = static_cast<double>(run.warmup_us) / 1e6;
  const double seconds = static_cast<double>(result.measured_us) / 1e6;
  out["duration_s"] = seconds;
  out["stopped_by_count"] = result.stopped_by_count;
  std::optional<double> offered;
  if (run.phases.size() == 1 && run.phases[0].rate) offered = *run.phases[0].rate;
  PutFigures(out, result.stats.Total(), seconds, offered, run.phases);
  json series = json::array();
  for (size_t i = 0; i < result.stats.seconds().size(); ++i) {
    const SecondStats& s = result.stats.seconds()[i];
    series.push_back({{"t_s", i},
                      {"phase", s.phase},
                      {"sent", s.sent},
                      {"requests", s.requests},
                      {"errors", s.errors},
                      {"p50_us", s.latency->Percentile(0.5)},
                      {"p99_us", s.latency->Percentile(0.99)},
                      {"max_us", s.latency->max()}});
  }
  out["timeseries"] = series;
  if (run.phases.size() > 1) {
    json phases = json::array();
    for (size_t i = 0; i < run.phases.size(); ++i) {
      const LoadPhase& p = run.phases[i];
      json ph;
      ph["name"] = p.name;
      ph["index"] = i;
      const double phase_s = static_cast<double>(result.phase_us[i]) / 1e6;
      ph["duration_s"] = phase_s;
      ph["load"] = json::parse(p.LoadJson());
      ph["mix"] = p.mix.ToString();
      PutFigures(ph, result.stats.phases()[i], phase_s, p.rate, std::span<const LoadPhase>(&p, 1));
      phases.push_back(ph);
    }
    out["phases"] = phases;
  }
  return out;
}

std::string TimeseriesCsv(const LoadResult& result) {
  std::string csv = "t_s,phase,sent,requests,errors,p50_us,p99_us,max_us\n";
  for (size_t i = 0; i < result.stats.seconds().size(); ++i) {
    const SecondStats& s = result.stats.seconds()[i];
    csv += fmt::format("{},{},{},{},{},{},{},{}\n", i, s.phase, s.sent, s.requests, s.errors,
                       s.latency->Percentile(0.5), s.latency->Percentile(0.99), s.latency->max());
  }
  return csv;
}

std::string HumanSummary(const RunDescription& run, const json& summary) {
  std::string out;
  auto row = [&](const std::string& name, const json& f) {
    const json& l = f["latency_us"];
    out += fmt::format("{:<14} {:>9} {:>10.1f} {:>10.1f} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}\n", name,
                       f["requests"].get<uint64_t>(), f["throughput_rps"].get<double>(),
                       f["goodput_rps"].get<double>(), f["errors"].get<uint64_t>(), Ms(l, "p50"), Ms(l, "p90"),
                       Ms(l, "p99"), Ms(l, "p999"), Ms(l, "max"), f["late_sends"].get<uint64_t>());
  };
  out += fmt::format("switchyard bench {}: {:.1f} s measured after {:.1f} s warm-up\n", run.url,
                     summary["duration_s"].get<double>(), summary["warmup_s"].get<double>());
  out += fmt::format("{:<14} {:>9} {:>10} {:>10} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}\n", "", "requests",
                     "req/s", "ok/s", "errors", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "late");
  if (summary.contains("phases")) {
    for (const json& p : summary["phases"]) row(p["name"].get<std::string>(), p);
  }
  row("total", summary);
  // Per entry and per client, in the order the mixes name them.
  std::vector<std::string> labels;
  std::vector<std::string> clients;
  for (const LoadPhase& p : run.phases) {
    for (size_t i = 0; i < p.mix.entries().size(); ++i) {
      if (std::find(labels.begin(), labels.end(), p.mix.Label(i)) == labels.end()) labels.push_back(p.mix.Label(i));
    }
    for (const std::string& c : p.mix.clients()) {
      if (std::find(clients.begin(), clients.end(), c) == clients.end()) clients.push_back(c);
    }
  }
  const bool named_clients = clients.size() > 1 || (clients.size() == 1 && !clients[0].empty());
  auto groups = [&](const char* title, const std::vector<std::string>& names, const json& figures, bool is_client) {
    size_t width = 14;
    for (const std::string& n : names) width = std::max(width, n.size());
    out += fmt::format("{:<{}} {:>9} {:>10} {:>7} {:>7} {:>7} {:>8} {:>8} {:>8}\n", title, width, "requests", "ok/s",
                       "503", "504", "other", "p50 ms", "p95 ms", "p99 ms");
    for (const std::string& n : names) {
      if (!figures.contains(n)) continue;
      const json& g = figures[n];
      const json& l = g["ok_latency_us"];
      const uint64_t r503 = g["rejected_503"].get<uint64_t>();
      const uint64_t r504 = g["expired_504"].get<uint64_t>();
      out += fmt::format("{:<{}} {:>9} {:>10.1f} {:>7} {:>7} {:>7} {:>8} {:>8} {:>8}\n",
                         is_client && n.empty() ? "(none)" : n, width, g["requests"].get<uint64_t>(),
                         g["goodput_rps"].get<double>(), r503, r504, g["errors"].get<uint64_t>() - r503 - r504,
                         Ms(l, "p50"), Ms(l, "p95"), Ms(l, "p99"));
    }
  };
  if (summary.contains("entries") && (labels.size() > 1 || named_clients)) {
    out += "\n";
    groups("per entry", labels, summary["entries"], false);
  }
  if (summary.contains("clients") && named_clients) {
    out += "\n";
    groups("per client", clients, summary["clients"], true);
    const json& jain = summary["jain_index"];
    out += jain.is_null() ? std::string("Jain's fairness index of ok/s across clients: - (fewer than 2 clients, or none answered)\n")
                          : fmt::format("Jain's fairness index of ok/s across clients: {:.4f} (1 = equal shares)\n",
                                        jain.get<double>());
  }
  if (summary["errors"].get<uint64_t>() > 0) {
    std::string list;
    for (const auto& [what, count] : summary["errors_by_status"].items()) {
      list += (list.empty() ? "" : ", ") + what + ": " + std::to_string(count.get<uint64_t>());
    }
    out += "errors by status: " + list + "\n";
  }
  if (summary["generator_saturated"].get<bool>()) {
    out += fmt::format(
        "WARNING: the generator itself fell behind its schedule for {} of {} requests: the figures say as much "
        "about this machine's load generator as about the server (try fewer requests/s or more --threads)\n",
        summary["late_sends_generator"].get<uint64_t>(), summary["sent"].get<uint64_t>());
  }
  return out;
}

}  // namespace switchyard
