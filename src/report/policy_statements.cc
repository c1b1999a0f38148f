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

}  // namespace

std::vector<std::string> PolicyStatements(const Workload& w) {
  std::vector<std::string> policies;
  std::set<std::string> executors;
  for (const auto& c : w.cells) {
    if (std::find(policies.begin(), policies.end(), c.config.policy) == policies.end()) {
      policies.push_back(c.config.policy);
    }
    executors.insert(c.config.executor);
  }
  if (policies.size() < 2) return {};
  std::string base_policy =
      std::find(policies.begin(), policies.end(), "fifo") != policies.end() ? "fifo" : policies[0];
  // Groups: configurations that differ only in the policy, in series order.
  auto without_policy = [](ServerConfig c) {
    c.policy.clear();
    return c;
  };
  std::vector<ServerConfig> groups;
  for (const auto& s : w.series) {
    for (const auto& c : w.cells) {
      if (c.series != s) continue;
      ServerConfig g = without_policy(c.config);
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
      break;
    }
  }
  auto describe = [&](const ServerConfig& g) {
    std::string d = g.workers ? fmt::format("{} worker{}", *g.workers, *g.workers == 1 ? "" : "s") : "";
    if (executors.size() > 1 || d.empty()) d = g.executor + (d.empty() ? "" : " " + d);
    return d;
  };
  std::map<std::string, int> described;
  for (const auto& g : groups) ++described[describe(g)];

  std::vector<std::string> out;
  for (const auto& g : groups) {
    for (double x : w.load_points) {
      const Cell* base = nullptr;
      std::vector<const Cell*> others;
      for (const auto& s : w.series) {
        const Cell* c = w.Find(s, x);
        if (!c || without_policy(c->config) != g) continue;
        if (c->config.policy == base_policy && !base) {
          base = c;
        } else {
          others.push_back(c);
        }
      }
      if (!base || others.empty()) continue;
      std::string head = w.name + ", " + describe(g);
      if (described[describe(g)] > 1) head += " (" + base->series + ")";
      if (w.load_points.size() > 1) head += ", " + FormatLoadPoint(x, w.mode);
      // The slowest entry under the baseline.
      const GroupFigures* slow = nullptr;
      if (base->entries.size() > 1) {
        for (const auto& e : base->entries) {
          if (e.ok_p50_us && (!slow || *e.ok_p50_us > *slow->ok_p50_us)) slow = &e;
        }
      }
      std::string text = head + ":";
      for (size_t i = 0; i < others.size(); ++i) {
        const Cell* c = others[i];
        std::string policy = c->config.policy.empty() ? c->series : c->config.policy;
        text += fmt::format("{} {} mean queue wait {} vs {} {}{}", i ? ";" : "", policy,
                            MsText(c->median.queue_mean_us), base_policy, MsText(base->median.queue_mean_us),
                            MsWithChange(c->median.queue_mean_us, base->median.queue_mean_us));
        if (slow) {
          const GroupFigures* e = FindGroup(c->entries, slow->name);
          Figure p99 = e ? e->ok_p99_us : std::nullopt;
          text += fmt::format(", {} entry p99 latency {} vs {}{}", slow->name, MsText(p99),
                              MsText(slow->ok_p99_us), MsWithChange(p99, slow->ok_p99_us));
        }
      }
      out.push_back(std::move(text));
    }
  }
  return out;
}

}  // namespace switchyard::report
