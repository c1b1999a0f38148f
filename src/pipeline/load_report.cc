#include "pipeline/load_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace switchyard {

nlohmann::json LoadReport::ToJson() const {
  nlohmann::json j;
  j["loader"] = LoaderName(options.loader);
  j["workers"] = options.loader == LoaderKind::kSync ? 1 : options.workers;
  j["matrix_size"] = options.matrix_size;
  j["batch"] = options.batch;
  j["prefetch"] = options.prefetch;
  j["consumer_ms"] = options.consumer_ms;
  j["epochs"] = options.epochs;
  j["shuffle"] = options.shuffle;
  j["seed"] = options.seed;
  j["drop_last"] = options.drop_last;
  j["delivery"] = options.in_order ? "in-order" : "as-ready";
  j["direct"] = options.direct;
  j["cold"] = options.cold;
  j["strict"] = options.strict;
  j["data"] = {{"dir", options.data_dir}, {"files", data_files}, {"bytes", data_bytes}};
  j["cache"] = {{"resident_at_start", cache_resident_at_start}, {"state", cache_state}};
  j["items"] = items;
  j["bytes"] = bytes;
  j["batches"] = batches;
  j["skipped"] = skipped;
  j["errors"] = errors;
  j["setup_s"] = setup_s;
  j["wall_s"] = wall_s;
  j["items_per_s"] = items_per_s;
  j["mb_per_s"] = mb_per_s;
  j["batches_per_s"] = batches_per_s;
  j["starvation"] = starvation;
  j["batch_wait_ms"] = {{"p50", batch_wait_ms_p50}, {"p95", batch_wait_ms_p95}, {"p99", batch_wait_ms_p99},
                        {"max", batch_wait_ms_max}, {"mean", batch_wait_ms_mean}};
  j["cpu"] = {{"user_s", cpu_user_s}, {"system_s", cpu_system_s}, {"utilisation", cpu_utilisation}};
  j["ctx_switches"] = {{"voluntary", voluntary_ctxt_switches}, {"involuntary", involuntary_ctxt_switches}};
  j["pss_bytes"] = pss_bytes;
  j["rss_bytes"] = rss_bytes;
  j["workers_replaced"] = workers_replaced;
  j["duplicates"] = duplicates;
  j["missing"] = missing;
  j["verify"] = verified ? nlohmann::json{{"checked", true}, {"mismatches", verify_mismatches}, {"digest", digest}}
                         : nlohmann::json{{"checked", false}};
  if (page_cache_mb_per_s) {
    j["baseline"] = {{"page_cache_mb_per_s", *page_cache_mb_per_s},
                     {"ratio", *page_cache_mb_per_s > 0 ? mb_per_s / *page_cache_mb_per_s : 0.0}};
  }
  j["warnings"] = warnings;
  j["warnings_total"] = warnings_total;
  auto& tl = j["timeline"] = nlohmann::json::array();
  for (const auto& p : timeline) {
    tl.push_back({{"t_s", p.t_s},
                  {"items", p.items},
                  {"mb_per_s", p.mb_per_s},
                  {"cpu_utilisation", p.cpu_utilisation},
                  {"starvation", p.starvation},
                  {"pss_bytes", p.pss_bytes}});
  }
  return j;
}

std::string LoadReport::Table() const {
  std::string out;
  const int workers = options.loader == LoaderKind::kSync ? 1 : options.workers;
  out += fmt::format("loader {} x{}, matrix {}, batch {}, prefetch {}, consumer {} ms, {} epoch(s), {}{}\n",
                     LoaderName(options.loader), workers, options.matrix_size, options.batch, options.prefetch,
                     options.consumer_ms, options.epochs, options.in_order ? "in-order" : "as-ready",
                     options.shuffle ? ", shuffled" : "");
  out += fmt::format("data     {} files, {:.1f} MB in {}; page cache at start: {} ({:.0f}% resident){}\n",
                     data_files, static_cast<double>(data_bytes) / 1e6, options.data_dir, cache_state,
                     100 * cache_resident_at_start, options.direct ? ", O_DIRECT reads" : "");
  out += fmt::format("delivered {} items in {} batches, {:.1f} MB read; skipped {}, errors {}\n", items, batches,
                     static_cast<double>(bytes) / 1e6, skipped, errors);
  out += fmt::format("rate     {:.1f} items/s, {:.1f} MB/s, {:.2f} batches/s over {:.3f} s (setup {:.3f} s before)\n",
                     items_per_s, mb_per_s, batches_per_s, wall_s, setup_s);
  out += fmt::format("consumer starvation {:.3f}; batch wait p50 {:.2f} ms, p95 {:.2f}, p99 {:.2f}, max {:.2f}\n",
                     starvation, batch_wait_ms_p50, batch_wait_ms_p95, batch_wait_ms_p99, batch_wait_ms_max);
  out += fmt::format("os       cpu user {:.2f} s, system {:.2f} s ({:.2f} cores); ctx switches {} vol, {} invol; "
                     "PSS peak {:.1f} MB\n",
                     cpu_user_s, cpu_system_s, cpu_utilisation, voluntary_ctxt_switches, involuntary_ctxt_switches,
                     static_cast<double>(pss_bytes) / 1e6);
  out += fmt::format("checks   duplicates {}, missing {}, workers replaced {}", duplicates, missing, workers_replaced);
  if (verified) out += fmt::format(", verified (mismatches {}, digest {})", verify_mismatches, digest);
  out += "\n";
  if (page_cache_mb_per_s) {
    out += fmt::format("baseline page cache {:.1f} MB/s; this run {:.2f} of it\n", *page_cache_mb_per_s,
                       *page_cache_mb_per_s > 0 ? mb_per_s / *page_cache_mb_per_s : 0.0);
  }
  if (warnings_total > static_cast<int64_t>(warnings.size())) {
    out += fmt::format("warnings {} (the first {} shown above)\n", warnings_total, warnings.size());
  }
  return out;
}

}  // namespace switchyard
