// The learned runtime predictor: trained on a synthetic trace whose rule is
// known (service = 50 µs x 2^K for cpu:2^K, io ~300 µs, model:a ~2 ms,
// model:b ~20 ms, ±5% noise; queue length, CPU utilisation, hour and input
// size recorded but irrelevant), it must find the rule; a model file that is
// not one must be refused with a message naming it; the CLI end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "core/file_util.h"
#include "predict/predictor_training.h"
#include "predict/xgboost_predictor.h"
#include "server_harness.h"
#include "trace/trace.h"

namespace switchyard {
namespace {

const std::vector<std::pair<std::string, double>> kRule = {
    {"cpu:2^0", 50},     {"cpu:2^2", 200}, {"cpu:2^4", 800},  {"cpu:2^6", 3200},  {"cpu:2^8", 12800},
    {"cpu:2^10", 51200}, {"io", 300},      {"model:a", 2000}, {"model:b", 20000},
};

std::vector<TraceRequest> SyntheticTrace(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> noise(0.95, 1.05), unit(0, 1);
  std::vector<TraceRequest> trace;
  for (int i = 0; i < n; ++i) {
    const auto& [cost_class, us] = kRule[rng() % kRule.size()];
    TraceRequest r;
    r.arrival_us = i * 1000;
    r.cost_class = CostClass::Parse(cost_class);
    r.service_us = std::llround(us * noise(rng));
    r.input_bytes = 20 + static_cast<int64_t>(rng() % 2000);
    r.queue_length = static_cast<int64_t>(rng() % 64);
    r.cpu_util = unit(rng);
    r.hour = static_cast<int64_t>(rng() % 24);
    r.status = 200;
    trace.push_back(r);
  }
  return trace;
}

std::string TraceJsonLines(const std::vector<TraceRequest>& trace) {
  std::string out;
  for (const TraceRequest& r : trace) {
    out += nlohmann::json{{"arrival_us", r.arrival_us},
                          {"service_us", r.service_us},
                          {"class", r.cost_class.text()},
                          {"input_bytes", r.input_bytes},
                          {"queue_length", r.queue_length},
                          {"cpu_util", r.cpu_util},
                          {"hour", r.hour},
                          {"status", r.status}}
               .dump() +
           "\n";
  }
  return out;
}

PredictorFeatures Features(const std::string& cost_class, int64_t queue_length = 3, double cpu = 0.5,
                           int hour = 12) {
  PredictorFeatures f;
  f.cost_class = CostClass::Parse(cost_class);
  f.input_bytes = 100;
  f.queue_length = queue_length;
  f.cpu_utilisation = cpu;
  f.hour_of_day = hour;
  return f;
}

double RelativeError(double predicted, double actual) { return std::abs(predicted - actual) / actual; }

// One trained model shared by the tests that only read it (training is the
// slow part).
class PredictorModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto report = TrainPredictor(SyntheticTrace(3000, 7), TrainingOptions{}, dir_->File("model.json"));
    ASSERT_TRUE(report.ok()) << report.status().message();
    report_ = new TrainingReport(*report);
  }
  void SetUp() override { ASSERT_NE(report_, nullptr) << "training the shared model failed"; }
  static void TearDownTestSuite() {
    delete report_;
    delete dir_;
  }
  static std::string ModelPath() { return dir_->File("model.json"); }
  static testing::TempDir* dir_;
  static TrainingReport* report_;
};
testing::TempDir* PredictorModelTest::dir_ = nullptr;
TrainingReport* PredictorModelTest::report_ = nullptr;

TEST_F(PredictorModelTest, LearnsTheRuleWithinFifteenPercentAndBeatsAConstant) {
  const TrainingReport& r = *report_;
  EXPECT_EQ(r.trace_rows, 3000);
  EXPECT_EQ(r.usable_rows, 3000);
  EXPECT_EQ(r.held_out_rows, 600);
  EXPECT_EQ(r.train_rows, 2400);
  EXPECT_LT(r.mape, 0.15);
  EXPECT_LT(r.mape, r.constant_mape);
  EXPECT_LE(r.mape, r.baseline_mape * 1.5);  // the per-class mean is nearly optimal on this rule
  ASSERT_EQ(r.classes.size(), kRule.size());
  for (const auto& [cost_class, c] : r.classes) {
    EXPECT_GT(c.held_out_rows, 0) << cost_class.text();
    EXPECT_LT(c.mape, 0.15) << cost_class.text();
  }
  RecordProperty("held_out_mape", std::to_string(r.mape));
  std::printf("held-out MAPE %.4f, class-mean %.4f, constant %.4f, training %.4f\n", r.mape, r.baseline_mape,
              r.constant_mape, r.train_mape);
  EXPECT_EQ(r.model_path, ModelPath());
  EXPECT_GT(r.model_bytes, 0);
}

TEST_F(PredictorModelTest, SavedModelLoadsAndPredictsEveryClassWithinFifteenPercent) {
  auto predictor = LoadXgboostPredictor(ModelPath());
  ASSERT_TRUE(predictor.ok()) << predictor.status().message();
  EXPECT_EQ((*predictor)->name(), "xgboost");
  for (const auto& [cost_class, us] : kRule) {
    for (auto [queue, cpu, hour] : {std::tuple{0, 0.0, 0}, std::tuple{40, 0.9, 23}, std::tuple{7, 0.3, 9}}) {
      const int64_t p = (*predictor)->PredictUs(Features(cost_class, queue, cpu, hour));
      EXPECT_LT(RelativeError(static_cast<double>(p), us), 0.15) << cost_class << " predicted " << p << " µs";
    }
  }
  // Observe is a no-op: the model is fixed.
  const int64_t before = (*predictor)->PredictUs(Features("io"));
  for (int i = 0; i < 100; ++i) (*predictor)->Observe(Features("io"), 1'000'000);
  EXPECT_EQ((*predictor)->PredictUs(Features("io")), before);
}

TEST_F(PredictorModelTest, UnknownClassesGetAPositiveFallback) {
  auto predictor = LoadXgboostPredictor(ModelPath());
  ASSERT_TRUE(predictor.ok()) << predictor.status().message();
  // A family never seen, and a class of a family seen without sizes: positive.
  EXPECT_GT((*predictor)->PredictUs(Features("gpu:resnet")), 0);
  EXPECT_GT((*predictor)->PredictUs(Features("")), 0);
  const int64_t model_c = (*predictor)->PredictUs(Features("model:c"));
  EXPECT_GT(model_c, 2000 * 0.8);  // the model family's mean: between a and b
  EXPECT_LT(model_c, 20000 * 1.2);
  // A size between two trained ones borrows its nearest neighbour: within 2x.
  const int64_t cpu5 = (*predictor)->PredictUs(Features("cpu:2^5"));
  EXPECT_GE(cpu5, 1600 / 2 * 0.85);
  EXPECT_LE(cpu5, 1600 * 2 * 1.15);
}

int ThreadsOfThisProcess() {
  int n = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// `serve --predictor` loads the model before forking its zygote, which
// needs a single-threaded process: XGBoost's OpenMP must not start threads.
TEST_F(PredictorModelTest, LoadingAndPredictingStartNoThread) {
  const int before = ThreadsOfThisProcess();
  auto predictor = LoadXgboostPredictor(ModelPath());
  ASSERT_TRUE(predictor.ok()) << predictor.status().message();
  EXPECT_GT((*predictor)->PredictUs(Features("io")), 0);
  EXPECT_EQ(ThreadsOfThisProcess(), before);
}

TEST_F(PredictorModelTest, ConcurrentPredictionsAgreeWithSerialOnes) {
  auto predictor = LoadXgboostPredictor(ModelPath());
  ASSERT_TRUE(predictor.ok()) << predictor.status().message();
  std::vector<int64_t> serial;
  for (const auto& [cost_class, us] : kRule) serial.push_back((*predictor)->PredictUs(Features(cost_class)));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const size_t k = (t + static_cast<size_t>(i)) % kRule.size();
        if ((*predictor)->PredictUs(Features(kRule[k].first)) != serial[k]) ++mismatches[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST_F(PredictorModelTest, FilesThatAreNotModelsAreErrorsNamingTheFile) {
  testing::TempDir dir;
  auto expect_refused = [](const std::string& path, const std::string& mentions) {
    auto p = LoadXgboostPredictor(path);
    ASSERT_FALSE(p.ok()) << path;
    EXPECT_NE(p.status().message().find(path), std::string::npos) << p.status().message();
    EXPECT_NE(p.status().message().find(mentions), std::string::npos) << p.status().message();
  };
  auto missing = LoadXgboostPredictor(dir.File("missing.json"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(dir.File("missing.json")), std::string::npos);

  std::ofstream(dir.File("empty.json")).flush();
  expect_refused(dir.File("empty.json"), "empty");
  std::ofstream(dir.File("garbage.bin"), std::ios::binary) << std::string("\x01\x02\xff\x00garbage", 11);
  expect_refused(dir.File("garbage.bin"), "JSON expected");
  std::ofstream(dir.File("text.txt")) << "not a model\n";
  expect_refused(dir.File("text.txt"), "JSON expected");

  auto model = ReadFile(ModelPath());
  ASSERT_TRUE(model.ok());
  std::ofstream(dir.File("truncated.json")) << model->substr(0, model->size() / 2);
  expect_refused(dir.File("truncated.json"),
                 "not a switchyard predictor model: ");  // then XGBoost's parse error
  std::ofstream(dir.File("other.json")) << R"({"name":"not a model"})";
  expect_refused(dir.File("other.json"), "not a switchyard predictor model");

  // A real XGBoost model, but without switchyard's class table.
  auto j = nlohmann::json::parse(*model);
  j["learner"]["attributes"].erase(std::string(kPredictorMetadataAttr));
  std::ofstream(dir.File("foreign.json")) << j.dump();
  expect_refused(dir.File("foreign.json"), "without switchyard's metadata");
}

TEST(PredictorTrainingTest, UsesTheFeaturesAPerClassMeanCannot) {
  // The same classes, but CPU contention stretches every request up to 2.5x.
  auto trace = SyntheticTrace(2000, 8);
  for (TraceRequest& r : trace)
    r.service_us = std::llround(static_cast<double>(r.service_us) * (1 + 1.5 * r.cpu_util));
  testing::TempDir dir;
  auto r = TrainPredictor(trace, TrainingOptions{}, dir.File("m.json"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_LT(r->mape, 0.15);
  EXPECT_LT(r->mape, r->baseline_mape / 2) << "class mean " << r->baseline_mape;
  auto predictor = LoadXgboostPredictor(dir.File("m.json"));
  ASSERT_TRUE(predictor.ok());
  const auto idle = static_cast<double>((*predictor)->PredictUs(Features("model:a", 3, 0.05)));
  const auto busy = static_cast<double>((*predictor)->PredictUs(Features("model:a", 3, 0.95)));
  EXPECT_GT(busy / idle, 1.8);
}

TEST(PredictorTrainingTest, TooFewRowsAnEmptyTraceAndBadOptionsAreErrors) {
  testing::TempDir dir;
  const std::string out = dir.File("m.json");
  auto empty = TrainPredictor({}, TrainingOptions{}, out);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no requests"), std::string::npos) << empty.status().message();

  auto few = TrainPredictor(SyntheticTrace(19, 1), TrainingOptions{}, out);
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(few.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(few.status().message().find("at least 20"), std::string::npos) << few.status().message();

  // Failed requests and zero service times do not count.
  auto trace = SyntheticTrace(30, 2);
  for (int i = 0; i < 8; ++i) trace[static_cast<size_t>(i)].status = 503;
  for (int i = 8; i < 11; ++i) trace[static_cast<size_t>(i)].service_us = 0;
  auto failed = TrainPredictor(trace, TrainingOptions{}, out);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("only 19 of the trace's 30"), std::string::npos)
      << failed.status().message();

  TrainingOptions bad;
  bad.holdout = 1.5;
  auto holdout = TrainPredictor(SyntheticTrace(100, 3), bad, out);
  ASSERT_FALSE(holdout.ok());
  EXPECT_NE(holdout.status().message().find("holdout"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(PredictorTrainingTest, AnUnwritableModelPathIsAnErrorAndNoFileIsLeft) {
  testing::TempDir dir;
  TrainingOptions quick;
  quick.rounds = 5;
  auto r = TrainPredictor(SyntheticTrace(100, 4), quick, dir.File("no/such/dir/m.json"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(dir.File("no/such/dir/m.json")), std::string::npos)
      << r.status().message();
  auto is_dir = TrainPredictor(SyntheticTrace(100, 4), quick, dir.path());
  ASSERT_FALSE(is_dir.ok());

  // A failed training leaves an existing model as it was.
  std::ofstream(dir.File("m.json")) << "previous";
  ASSERT_FALSE(TrainPredictor(SyntheticTrace(10, 4), quick, dir.File("m.json")).ok());
  EXPECT_EQ(*ReadFile(dir.File("m.json")), "previous");
  // A successful one replaces it whole, leaving no temporary behind.
  ASSERT_TRUE(TrainPredictor(SyntheticTrace(100, 4), quick, dir.File("m.json")).ok());
  EXPECT_TRUE(LoadXgboostPredictor(dir.File("m.json")).ok());
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(PredictorTrainingTest, TheSameSeedGivesTheSameModelAndAnotherSeedAnotherSplit) {
  testing::TempDir dir;
  const auto trace = SyntheticTrace(400, 5);
  TrainingOptions o;
  o.rounds = 30;
  auto a = TrainPredictor(trace, o, dir.File("a.json"));
  auto b = TrainPredictor(trace, o, dir.File("b.json"));
  o.seed = 2;
  auto c = TrainPredictor(trace, o, dir.File("c.json"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*ReadFile(dir.File("a.json")), *ReadFile(dir.File("b.json")));
  EXPECT_EQ(a->mape, b->mape);
  EXPECT_NE(*ReadFile(dir.File("a.json")), *ReadFile(dir.File("c.json")));

  o.holdout = 0;  // everything trained on; held-out figures are NaN
  auto all = TrainPredictor(trace, o, dir.File("d.json"));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->held_out_rows, 0);
  EXPECT_EQ(all->train_rows, 400);
  EXPECT_TRUE(std::isnan(all->mape));
  EXPECT_LT(all->train_mape, 0.15);
}

TEST(TrainPredictorCliTest, TrainsFromATraceFileAndRefusesBadInput) {
  testing::TempDir dir;
  std::ofstream(dir.File("t.jsonl")) << TraceJsonLines(SyntheticTrace(500, 6));
  auto ok = testing::RunSwitchyard({"train-predictor", dir.File("t.jsonl"), "-o", dir.File("m.json"),
                                    "--rounds", "40", "--json", dir.File("r.json")});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("Model written to " + dir.File("m.json")), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("cpu:2^10"), std::string::npos) << ok.output;
  EXPECT_TRUE(LoadXgboostPredictor(dir.File("m.json")).ok());
  std::ifstream in(dir.File("r.json"));
  auto j = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["held_out_rows"], 100);
  EXPECT_TRUE(j["mape"].is_number());
  EXPECT_TRUE(j["classes"]["io"]["baseline_mape"].is_number());

  std::ofstream(dir.File("bad.jsonl")) << TraceJsonLines(SyntheticTrace(2, 6)) << "{\"arrival_us\":0}\n";
  auto bad = testing::RunSwitchyard({"train-predictor", dir.File("bad.jsonl"), "-o", dir.File("x.json")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("bad.jsonl:3: missing 'service_us'"), std::string::npos) << bad.output;

  auto missing =
      testing::RunSwitchyard({"train-predictor", dir.File("none.jsonl"), "-o", dir.File("x.json")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("none.jsonl"), std::string::npos) << missing.output;

  auto holdout = testing::RunSwitchyard(
      {"train-predictor", dir.File("t.jsonl"), "-o", dir.File("x.json"), "--holdout", "1.5"});
  EXPECT_NE(holdout.exit_code, 0);
  EXPECT_NE(holdout.output.find("--holdout"), std::string::npos) << holdout.output;

  std::ofstream(dir.File("small.jsonl")) << TraceJsonLines(SyntheticTrace(5, 6));
  auto small = testing::RunSwitchyard({"train-predictor", dir.File("small.jsonl"), "-o", dir.File("x.json")});
  EXPECT_EQ(small.exit_code, 2);
  EXPECT_NE(small.output.find("at least 20"), std::string::npos) << small.output;
  EXPECT_FALSE(std::filesystem::exists(dir.File("x.json")));
}

}  // namespace
}  // namespace switchyard
