#include "report/policy_statements.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "report/format.h"

namespace switchyard::report {
namespace {

// " (−40%)"; empty without a positive baseline.
std::string MsWithChange(const Figure& v, const Figure& base) {
  std::string pct = PercentChange(v, base);
  return pct.empty() ? "" : " (" + pct + ")";
}

std::string MsText(const Figure& us) { return us ? MillisFromMicros(us) + " ms" : std::string(kNa); }

ServerConfig WithoutPolicy(ServerConfig c) {
  c.policy.clear();
  return c;
}

// The configurations that differ only in the policy, in series order.
std::vector<ServerConfig> ConfigsApartFromPolicy(const Workload& w) {
  std::vector<ServerConfig> groups;
  for (const auto& s : w.series) {
    for (const auto& c : w.cells) {
      if (c.series != s) continue;
      ServerConfig g = WithoutPolicy(c.config);
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
      break;
    }
  }
  return groups;
}

// How a statement names a configuration apart from its policy: "2 workers",
// with the executor where the workload has several (or no worker count).
class ConfigNames {
 public:
  ConfigNames(const Workload& w, const std::vector<ServerConfig>& groups) {
    for (const auto& c : w.cells) executors_.insert(c.config.executor);
    for (const auto& g : groups) ++count_[Name(g)];
  }

  std::string Name(const ServerConfig& g) const {
    std::string d = g.workers ? fmt::format("{} worker{}", *g.workers, *g.workers == 1 ? "" : "s") : "";
    if (executors_.size() > 1 || d.empty()) d = g.executor + (d.empty() ? "" : " " + d);
    return d;
  }
  // Several configurations go by the name: the statement adds the series.
  bool Ambiguous(const ServerConfig& g) const { return count_.at(Name(g)) > 1; }

 private:
  std::set<std::string> executors_;
  std::map<std::string, int> count_;
};

// The slowest entry under the baseline (the highest ok p50), where the mix
// has several; nullptr otherwise.
const GroupFigures* SlowestEntry(const Cell& base) {
  const GroupFigures* slow = nullptr;
  if (base.entries.size() > 1) {
    for (const auto& e : base.entries) {
      if (e.ok_p50_us && (!slow || *e.ok_p50_us > *slow->ok_p50_us)) slow = &e;
    }
  }
  return slow;
}

// "sjf mean queue wait 3.10 ms vs fifo 5.20 ms (−40%), slow entry p99 latency ...".
std::string Comparison(const Cell& c, const Cell& base, const std::string& base_policy,
                       const GroupFigures* slow) {
  std::string policy = c.config.policy.empty() ? c.series : c.config.policy;
  std::string text = fmt::format("{} mean queue wait {} vs {} {}{}", policy, MsText(c.median.queue_mean_us),
                                 base_policy, MsText(base.median.queue_mean_us),
                                 MsWithChange(c.median.queue_mean_us, base.median.queue_mean_us));
  if (slow) {
    const GroupFigures* e = FindGroup(c.entries, slow->name);
    Figure p99 = e ? e->ok_p99_us : std::nullopt;
    text += fmt::format(", {} entry p99 latency {} vs {}{}", slow->name, MsText(p99), MsText(slow->ok_p99_us),
                        MsWithChange(p99, slow->ok_p99_us));
  }
  return text;
}

}  // namespace

std::vector<std::string> PolicyStatements(const Workload& w) {
  std::vector<std::string> policies;
  for (const auto& c : w.cells) {
    if (std::find(policies.begin(), policies.end(), c.config.policy) == policies.end()) {
      policies.push_back(c.config.policy);
    }
  }
  if (policies.size() < 2) return {};
  const std::string base_policy =
      std::find(policies.begin(), policies.end(), "fifo") != policies.end() ? "fifo" : policies[0];
  const std::vector<ServerConfig> groups = ConfigsApartFromPolicy(w);
  const ConfigNames names(w, groups);

  std::vector<std::string> out;
  for (const auto& g : groups) {
    for (double x : w.load_points) {
      // The baseline policy's cell and the others', at this load point.
      const Cell* base = nullptr;
      std::vector<const Cell*> others;
      for (const auto& s : w.series) {
        const Cell* c = w.Find(s, x);
        if (!c || WithoutPolicy(c->config) != g) continue;
        if (c->config.policy == base_policy && !base) {
          base = c;
        } else {
          others.push_back(c);
        }
      }
      if (!base || others.empty()) continue;
      std::string text = w.name + ", " + names.Name(g);
      if (names.Ambiguous(g)) text += " (" + base->series + ")";
      if (w.load_points.size() > 1) text += ", " + FormatLoadPoint(x, w.mode);
      text += ":";
      const GroupFigures* slow = SlowestEntry(*base);
      for (size_t i = 0; i < others.size(); ++i) {
        text += (i ? "; " : " ") + Comparison(*others[i], *base, base_policy, slow);
      }
      out.push_back(std::move(text));
    }
  }
  return out;
}

}  // namespace switchyard::report
