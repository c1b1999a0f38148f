// The data-loading pipeline (issue 6): every loader delivers every file
// exactly once per epoch, in the sampler's order when asked, with identical
// augmented bytes; bad data and dying workers are survived and counted.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "data/data_set.h"
#include "pipeline/epoch_plan.h"
#include "pipeline/item_loader.h"
#include "pipeline/pipeline_run.h"
#include "server_harness.h"

namespace switchyard {
namespace {

using testing::TempDir;

constexpr LoaderKind kAllLoaders[] = {LoaderKind::kSync, LoaderKind::kThreads, LoaderKind::kProcesses,
                                      LoaderKind::kAsync};

// 23 files of 16..200 KB: batches of 4 leave a short last batch, and at
// matrix size 100 (40,000 bytes) some files are too short.
Manifest MakeDataSet(const std::string& dir, int64_t files = 23, int64_t min = 16'000, int64_t max = 200'000) {
  DataSetOptions d;
  d.files = files;
  d.min_bytes = min;
  d.max_bytes = max;
  d.seed = 7;
  d.out_dir = dir;
  auto m = GenerateDataSet(d);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return *m;
}

PipelineOptions Options(const std::string& dir, LoaderKind kind) {
  PipelineOptions o;
  o.data_dir = dir;
  o.loader = kind;
  o.workers = 2;
  o.batch = 4;
  o.prefetch = 2;
  o.verify = true;
  return o;
}

// What the consumer saw, in delivery order.
struct Delivery {
  std::vector<uint64_t> sequences;
  std::vector<std::pair<int, int64_t>> items;  // (epoch, index)
};

LoadReport RunAndRecord(PipelineOptions o, Delivery* seen) {
  o.on_batch = [seen](const DeliveredBatch& b) {
    seen->sequences.push_back(b.sequence);
    for (const auto& it : b.items) seen->items.emplace_back(b.epoch, it.index);
  };
  auto r = RunPipeline(o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : LoadReport{};
}

class EveryLoader : public ::testing::TestWithParam<LoaderKind> {};

TEST(EpochPlanTest, OrdersAreDeterministicAndShuffledPerEpoch) {
  const auto plain = EpochOrder(10, false, 1, 0);
  EXPECT_EQ(plain, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  const auto e0 = EpochOrder(100, true, 1, 0);
  const auto e1 = EpochOrder(100, true, 1, 1);
  EXPECT_EQ(e0, EpochOrder(100, true, 1, 0));
  EXPECT_NE(e0, e1);
  EXPECT_NE(e0, EpochOrder(100, true, 2, 0));
  auto sorted = e1;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, EpochOrder(100, false, 0, 0));
}

TEST(EpochPlanTest, SplitsIntoBatchesAndDropsTheLastOnlyWhenAsked) {
  const auto order = EpochOrder(10, false, 0, 0);
  const auto kept = SplitIntoBatches(order, 4, false);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[2], (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(SplitIntoBatches(order, 4, true).size(), 2u);
  EXPECT_EQ(SplitIntoBatches(order, 5, true).size(), 2u);
  EXPECT_TRUE(SplitIntoBatches(order, 11, true).empty());
}

TEST(AugmentTest, MultiplyBySelfIsTheMatrixProduct) {
  const int n = 37;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> a(n * n);
  std::vector<float> c(n * n);
  for (auto& x : a) x = u(rng);
  UseSingleThreadedBlas();
  MultiplyBySelf(a.data(), n, c.data());
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      double want = 0;
      for (int k = 0; k < n; ++k) want += double{a[i * n + k]} * a[k * n + j];
      EXPECT_NEAR(c[i * n + j], want, 1e-4) << i << "," << j;
    }
  }
}

TEST_P(EveryLoader, DeliversEveryFileExactlyOnceInSamplerOrder) {
  TempDir t;
  const Manifest m = MakeDataSet(t.File("d"));
  PipelineOptions o = Options(t.File("d"), GetParam());
  o.epochs = 2;
  o.shuffle = true;
  o.seed = 11;
  Delivery seen;
  const LoadReport r = RunAndRecord(o, &seen);
  EXPECT_EQ(r.items, 46);
  EXPECT_EQ(r.batches, 12);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.missing, 0);
  EXPECT_EQ(r.skipped, 0);
  EXPECT_EQ(r.errors, 0);
  EXPECT_EQ(r.verify_mismatches, 0);  // each item's bytes are the file's
  EXPECT_EQ(r.bytes, 2 * m.total_bytes);
  // In order: batch sequence 0, 1, 2, ... and the items are the sampler's.
  std::vector<uint64_t> want_seq(12);
  std::iota(want_seq.begin(), want_seq.end(), 0u);
  EXPECT_EQ(seen.sequences, want_seq);
  std::vector<std::pair<int, int64_t>> want;
  for (int e = 0; e < 2; ++e) {
    for (int64_t i : EpochOrder(23, true, 11, e)) want.emplace_back(e, i);
  }
  EXPECT_EQ(seen.items, want);
}

TEST_P(EveryLoader, AsReadyDeliversEveryFileExactlyOnce) {
  TempDir t;
  MakeDataSet(t.File("d"));
  PipelineOptions o = Options(t.File("d"), GetParam());
  o.in_order = false;
  o.workers = 3;
  Delivery seen;
  const LoadReport r = RunAndRecord(o, &seen);
  EXPECT_EQ(r.items, 23);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.missing, 0);
  std::set<int64_t> indices;
  for (const auto& [e, i] : seen.items) indices.insert(i);
  EXPECT_EQ(indices.size(), 23u);
  std::set<uint64_t> sequences(seen.sequences.begin(), seen.sequences.end());
  EXPECT_EQ(sequences.size(), 6u);
}

TEST_P(EveryLoader, DropLastDropsTheShortBatch) {
  TempDir t;
  MakeDataSet(t.File("d"));
  PipelineOptions o = Options(t.File("d"), GetParam());
  o.drop_last = true;
  const auto r = RunPipeline(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->items, 20);
  EXPECT_EQ(r->missing, 0);
}

TEST(PipelineTest, AugmentedItemsAreIdenticalAcrossLoaders) {
  TempDir t;
  MakeDataSet(t.File("d"));
  std::map<LoaderKind, std::string> digests;
  for (LoaderKind k : kAllLoaders) {
    PipelineOptions o = Options(t.File("d"), k);
    o.matrix_size = 100;
    Delivery seen;
    const LoadReport r = RunAndRecord(o, &seen);
    EXPECT_GT(r.skipped, 0) << LoaderName(k);  // the files under 40,000 bytes
    EXPECT_EQ(r.items + r.skipped, 23) << LoaderName(k);
    EXPECT_EQ(r.missing, 0) << LoaderName(k);
    digests[k] = r.digest;
  }
  for (LoaderKind k : kAllLoaders) EXPECT_EQ(digests[k], digests[LoaderKind::kSync]) << LoaderName(k);
}

TEST(PipelineTest, AnItemIsTheProductOfItsFilesLeadingMatrix) {
  TempDir t;
  const Manifest m = MakeDataSet(t.File("d"), 3, 50'000, 50'000);
  // Small, finite values, so the product can be checked by hand.
  const int n = 16;
  std::vector<float> a(n * n);
  for (int i = 0; i < n * n; ++i) a[i] = static_cast<float>((i % 7) - 3) / 4.0f;
  {
    std::fstream f(m.PathOf(m.items[1]), std::ios::in | std::ios::out | std::ios::binary);
    f.write(reinterpret_cast<const char*>(a.data()), static_cast<std::streamsize>(a.size() * sizeof(float)));
  }
  for (LoaderKind k : kAllLoaders) {
    PipelineOptions o = Options(t.File("d"), k);
    o.matrix_size = n;
    o.verify = false;
    std::vector<float> got;
    o.on_batch = [&](const DeliveredBatch& b) {
      for (const auto& it : b.items) {
        if (it.index != 1) continue;
        ASSERT_EQ(it.bytes, n * n * 4);
        got.resize(n * n);
        std::memcpy(got.data(), it.data, static_cast<size_t>(it.bytes));
      }
    };
    ASSERT_TRUE(RunPipeline(o).ok());
    ASSERT_EQ(got.size(), static_cast<size_t>(n * n)) << LoaderName(k);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        float want = 0;
        for (int q = 0; q < n; ++q) want += a[i * n + q] * a[q * n + j];
        EXPECT_FLOAT_EQ(got[i * n + j], want) << LoaderName(k) << " " << i << "," << j;
      }
    }
  }
}

TEST_P(EveryLoader, AFileDeletedMidEpochIsCountedAndTheRestDelivered) {
  TempDir t;
  const Manifest m = MakeDataSet(t.File("d"));
  PipelineOptions o = Options(t.File("d"), GetParam());
  // One batch in flight at a time: batch 3 is not read before batch 0 is
  // delivered, whatever the loader.
  o.workers = 1;
  o.prefetch = 1;
  o.verify = false;
  const std::string victim = m.PathOf(m.items[13]);
  o.on_batch = [&](const DeliveredBatch& b) {
    if (b.sequence == 0) std::filesystem::remove(victim);
  };
  const auto r = RunPipeline(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->errors, 1);
  EXPECT_EQ(r->items, 22);
  EXPECT_EQ(r->missing, 0);
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings[0].find("item-000013.bin"), std::string::npos) << r->warnings[0];
}

TEST_P(EveryLoader, AnUnreadableFileIsCountedAndStrictFailsTheRun) {
  TempDir t;
  const Manifest m = MakeDataSet(t.File("d"));
  // A directory where a file should be: unreadable also for root.
  const std::string victim = m.PathOf(m.items[5]);
  PipelineOptions o = Options(t.File("d"), GetParam());
  o.verify = false;
  o.on_batch = [&](const DeliveredBatch& b) {
    if (b.sequence == 0 && std::filesystem::remove(victim)) std::filesystem::create_directory(victim);
  };
  o.workers = 1;
  o.prefetch = 1;
  const auto r = RunPipeline(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->errors, 1);
  EXPECT_EQ(r->items, 22);
  // Again on a fresh copy (the manifest check would name the directory
  // before anything ran), with --strict: the run fails naming the file.
  const Manifest m2 = MakeDataSet(t.File("d2"));
  const std::string victim2 = m2.PathOf(m2.items[5]);
  o.data_dir = t.File("d2");
  o.strict = true;
  o.on_batch = [&](const DeliveredBatch& b) {
    if (b.sequence == 0 && std::filesystem::remove(victim2)) std::filesystem::create_directory(victim2);
  };
  const auto strict = RunPipeline(o);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().code(), StatusCode::kInternal);
  EXPECT_NE(strict.status().message().find("item-000005.bin"), std::string::npos) << strict.status().message();
}

TEST_P(EveryLoader, ShortFilesAreSkippedOrFailTheRunWithStrict) {
  TempDir t;
  MakeDataSet(t.File("d"));
  PipelineOptions o = Options(t.File("d"), GetParam());
  o.matrix_size = 100;
  const auto r = RunPipeline(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GT(r->skipped, 0);
  EXPECT_EQ(r->items + r->skipped, 23);
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings[0].find("shorter than the 100x100 FP32 matrix"), std::string::npos) << r->warnings[0];
  o.strict = true;
  const auto strict = RunPipeline(o);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("--strict"), std::string::npos);
}

TEST_P(EveryLoader, DirectReadsDeliverTheSameBytes) {
  TempDir t;
  MakeDataSet(t.File("d"));
  PipelineOptions o = Options(t.File("d"), GetParam());
  o.direct = true;
  const auto r = RunPipeline(o);
  if (!r.ok() && r.status().message().find("does not support O_DIRECT") != std::string::npos) {
    GTEST_SKIP() << r.status().message();
  }
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->items, 23);
  EXPECT_EQ(r->verify_mismatches, 0);
  EXPECT_EQ(r->cache_state, "bypassed");
}

INSTANTIATE_TEST_SUITE_P(Loaders, EveryLoader, ::testing::ValuesIn(kAllLoaders),
                         [](const ::testing::TestParamInfo<LoaderKind>& p) { return std::string(LoaderName(p.param)); });

TEST(PipelineTest, AKilledWorkerIsReplacedAndItsBatchesReadAgain) {
  TempDir t;
  MakeDataSet(t.File("d"), 40);
  auto sync = RunPipeline(Options(t.File("d"), LoaderKind::kSync));
  ASSERT_TRUE(sync.ok()) << sync.status().message();
  PipelineOptions o = Options(t.File("d"), LoaderKind::kProcesses);
  o.matrix_size = 0;
  int killed = 0;
  o.on_batch = [&](const DeliveredBatch& b) {
    if (b.sequence != 1 && b.sequence != 4) return;
    const auto workers = testing::ChildrenOf(::getpid());
    ASSERT_FALSE(workers.empty());
    ::kill(workers.front(), SIGKILL);
    ++killed;
  };
  const auto r = RunPipeline(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(killed, 2);
  EXPECT_GE(r->workers_replaced, 1);
  EXPECT_EQ(r->items, 40);
  EXPECT_EQ(r->duplicates, 0);
  EXPECT_EQ(r->missing, 0);
  EXPECT_EQ(r->verify_mismatches, 0);
  EXPECT_EQ(r->digest, sync->digest);
  EXPECT_TRUE(testing::ChildrenOf(::getpid()).empty());  // all reaped
}

TEST(PipelineTest, ReportsTheCacheStateAndATimeline) {
  TempDir t;
  MakeDataSet(t.File("d"));
  PipelineOptions o = Options(t.File("d"), LoaderKind::kThreads);
  o.cold = true;
  const auto cold = RunPipeline(o);
  ASSERT_TRUE(cold.ok()) << cold.status().message();
  EXPECT_LE(cold->cache_resident_at_start, 0.1);
  EXPECT_EQ(cold->cache_state, "cold");
  o.cold = false;
  o.page_cache_baseline = true;
  const auto warm = RunPipeline(o);
  ASSERT_TRUE(warm.ok()) << warm.status().message();
  EXPECT_EQ(warm->cache_state, "warm");
  ASSERT_TRUE(warm->page_cache_mb_per_s.has_value());
  EXPECT_GT(*warm->page_cache_mb_per_s, 0);
  ASSERT_FALSE(warm->timeline.empty());  // at least the final sample
  for (const auto& p : warm->timeline) {
    EXPECT_GE(p.starvation, 0);
    EXPECT_LE(p.starvation, 1.0001);
    EXPECT_GT(p.pss_bytes, 0u);
  }
  EXPECT_GE(warm->starvation, 0);
  EXPECT_LE(warm->starvation, 1);
  EXPECT_GT(warm->pss_bytes, 0u);
}

TEST(PipelineTest, RejectsAMissingOrEmptyDataDirectory) {
  TempDir t;
  auto missing = RunPipeline(Options(t.File("nope"), LoaderKind::kThreads));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("gen-data"), std::string::npos) << missing.status().message();
  std::filesystem::create_directory(t.File("empty"));
  auto empty = RunPipeline(Options(t.File("empty"), LoaderKind::kThreads));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no data set there"), std::string::npos) << empty.status().message();
}

TEST(PipelineTest, RejectsImpossibleOptions) {
  TempDir t;
  MakeDataSet(t.File("d"));
  struct Case {
    const char* flag;
    std::function<void(PipelineOptions&)> set;
  };
  const Case cases[] = {
      {"--workers", [](PipelineOptions& o) { o.workers = 0; }},
      {"--batch", [](PipelineOptions& o) { o.batch = 0; }},
      {"--prefetch", [](PipelineOptions& o) { o.prefetch = 0; }},
      {"--matrix-size", [](PipelineOptions& o) { o.matrix_size = -1; }},
      {"--epochs", [](PipelineOptions& o) { o.epochs = 0; }},
      {"--consumer-ms", [](PipelineOptions& o) { o.consumer_ms = -5; }},
      {"--drop-last", [](PipelineOptions& o) {
         o.drop_last = true;
         o.batch = 100;
       }},
      {"--batch", [](PipelineOptions& o) { o.batch = 4096; o.prefetch = 64; o.workers = 256; }},  // pool too large
  };
  for (const auto& c : cases) {
    PipelineOptions o = Options(t.File("d"), LoaderKind::kThreads);
    c.set(o);
    auto r = RunPipeline(o);
    ASSERT_FALSE(r.ok()) << c.flag;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.flag;
    EXPECT_NE(r.status().message().find(c.flag), std::string::npos) << r.status().message();
  }
}

TEST(LoadCliTest, WritesTheJsonFiguresAndExitsWithMeaningfulCodes) {
  TempDir t;
  MakeDataSet(t.File("d"));
  const std::string json = t.File("out.json");
  auto ok = testing::RunSwitchyard({"load", "--data", t.File("d"), "--loader", "async", "--matrix-size", "16",
                                    "--json", json, "--quiet"});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  for (const char* key : {"items", "bytes", "items_per_s", "mb_per_s", "starvation", "batch_wait_ms", "skipped",
                          "cpu", "ctx_switches", "pss_bytes", "timeline", "cache"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  for (const char* key : {"p50", "p95", "p99"}) EXPECT_TRUE(j["batch_wait_ms"].contains(key)) << key;
  EXPECT_EQ(j["items"].get<int>(), 23);

  struct Bad {
    std::vector<std::string> args;
    const char* says;
  };
  const Bad bad[] = {
      {{"load", "--data", t.File("d"), "--loader", "fibers"}, "--loader fibers"},
      {{"load", "--data", t.File("d"), "--delivery", "sometimes"}, "--delivery"},
      {{"load", "--data", t.File("d"), "--workers", "0"}, "--workers"},
      {{"load", "--data", t.File("missing")}, "gen-data"},
      {{"load"}, "--data"},
  };
  for (const auto& b : bad) {
    auto r = testing::RunSwitchyard(b.args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(b.says), std::string::npos) << r.output;
  }
  std::filesystem::remove(t.File("d/item-000003.bin"));
  std::filesystem::create_directory(t.File("d/item-000003.bin"));
  // The manifest's own check names the file before anything runs.
  auto broken = testing::RunSwitchyard({"load", "--data", t.File("d"), "--quiet"});
  EXPECT_NE(broken.exit_code, 0) << broken.output;
  EXPECT_NE(broken.output.find("item-000003.bin"), std::string::npos) << broken.output;
}

}  // namespace
}  // namespace switchyard
