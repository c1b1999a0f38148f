#include "predict/predictor_training.h"

#include <unistd.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <numeric>
#include <string_view>

#include "core/file_util.h"
#include "predict/xgboost_predictor.h"

namespace switchyard {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Handle = std::unique_ptr<void, int (*)(void*)>;

Status CheckOptions(const TrainingOptions& o) {
  if (!(o.holdout >= 0 && o.holdout <= 0.9)) return InvalidArgument("holdout must be from 0 to 0.9");
  if (o.rounds < 1 || o.rounds > 10000) return InvalidArgument("rounds must be from 1 to 10000");
  if (o.max_depth < 1 || o.max_depth > 16) return InvalidArgument("max depth must be from 1 to 16");
  if (!(o.learning_rate > 0 && o.learning_rate <= 1))
    return InvalidArgument("learning rate must be in (0, 1]");
  if (o.threads < 1 || o.threads > 256) return InvalidArgument("threads must be from 1 to 256");
  return Status::Ok();
}

// Before spending the training time: can `path` be created?
Status CheckWritable(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty()) return InvalidArgument("no model file named");
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return InvalidArgument("cannot write the model to '" + path + "': a directory");
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (::access(dir.c_str(), W_OK) != 0) {
    return InvalidArgument("cannot write the model to '" + path + "': directory '" + dir.string() +
                           "': " + std::strerror(errno));
  }
  return Status::Ok();
}

// splitmix64: a fixed, portable generator (std::shuffle's use of its
// generator is up to the standard library), so a seed names one split.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

PredictorFeatures FeaturesOf(const TraceRequest& r) {
  PredictorFeatures f;
  f.cost_class = r.cost_class;
  f.input_bytes = r.input_bytes;
  f.queue_length = r.queue_length;
  f.cpu_utilisation = r.cpu_util;
  f.hour_of_day = static_cast<int>(r.hour);
  f.in_system = r.in_system;
  return f;
}

double AbsoluteRelativeError(double predicted, double actual) {
  return std::abs(predicted - actual) / actual;
}

struct Mean {
  double sum = 0;
  int64_t n = 0;
  void Add(double x) {
    sum += x;
    ++n;
  }
  double value() const { return n > 0 ? sum / static_cast<double>(n) : kNaN; }
};

}  // namespace

Result<TrainingReport> TrainPredictor(const std::vector<TraceRequest>& trace, const TrainingOptions& options,
                                      const std::string& model_out) {
  if (Status s = CheckOptions(options); !s.ok()) return s;
  if (trace.empty()) return InvalidArgument("the trace has no requests to learn from");
  std::vector<const TraceRequest*> usable;
  for (const TraceRequest& r : trace) {
    if ((r.status == 200 || r.status == 0) && r.service_us > 0) usable.push_back(&r);
  }
  const auto n = static_cast<int64_t>(usable.size());
  if (n < kMinTrainingRows) {
    return InvalidArgument(
        "only " + std::to_string(n) + " of the trace's " + std::to_string(trace.size()) +
        " requests are usable (status 200 or unrecorded, service_us > 0); training needs at least " +
        std::to_string(kMinTrainingRows));
  }
  if (Status s = CheckWritable(model_out); !s.ok()) return s;

  // The split: a seeded Fisher-Yates shuffle; the first `held` are held out.
  std::vector<size_t> order(usable.size());
  std::iota(order.begin(), order.end(), size_t{0});
  uint64_t state = options.seed;
  for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[NextRandom(state) % (i + 1)]);
  auto held = static_cast<int64_t>(std::llround(options.holdout * static_cast<double>(n)));
  if (options.holdout > 0) held = std::max<int64_t>(held, 1);
  const int64_t train_n = n - held;
  if (train_n < kMinTrainingRows / 2) {
    return InvalidArgument("holdout " + std::to_string(options.holdout) + " leaves " +
                           std::to_string(train_n) + " requests to train on; at least " +
                           std::to_string(kMinTrainingRows / 2) + " are needed");
  }
  std::vector<const TraceRequest*> train, test;
  for (int64_t i = 0; i < n; ++i) (i < held ? test : train).push_back(usable[order[static_cast<size_t>(i)]]);
  // Training order = trace order, whatever the shuffle: only the split is random.
  auto by_position = [](const TraceRequest* a, const TraceRequest* b) { return a < b; };
  std::sort(train.begin(), train.end(), by_position);
  std::sort(test.begin(), test.end(), by_position);

  // The class table, from the training rows only (a class seen only in the
  // held-out rows is measured as the unknown class it would be in serving),
  // ordered by mean log service time.
  std::map<CostClass, Mean> class_log_mean, class_mean;
  std::map<std::string, Mean, std::less<>> family_mean;  // by family name: the model file's key
  Mean overall, overall_log;
  for (const TraceRequest* r : train) {
    const auto us = static_cast<double>(r->service_us);
    class_log_mean[r->cost_class].Add(std::log(us));
    class_mean[r->cost_class].Add(us);
    family_mean[std::string(r->cost_class.family_name())].Add(us);
    overall.Add(us);
    overall_log.Add(std::log(us));
  }
  ModelMetadata metadata;
  std::vector<CostClass> classes;
  for (const auto& [cost_class, mean] : class_log_mean) classes.push_back(cost_class);
  std::stable_sort(classes.begin(), classes.end(), [&](const CostClass& a, const CostClass& b) {
    return class_log_mean[a].value() < class_log_mean[b].value();
  });
  for (const CostClass& c : classes) metadata.classes.push_back(c.text());
  for (const auto& [family, mean] : family_mean) metadata.family_mean_us[family] = mean.value();
  metadata.mean_us = overall.value();
  metadata.trained_rows = train_n;
  std::map<CostClass, int> code;
  for (size_t i = 0; i < classes.size(); ++i) code[classes[i]] = static_cast<int>(i);

  // The training matrix. Target: ln(service_us) — see xgboost_predictor.h.
  std::vector<float> x;
  std::vector<float> y;
  x.reserve(train.size() * kPredictorFeatureCount);
  for (const TraceRequest* r : train) {
    auto row = FeatureRow(code[r->cost_class], FeaturesOf(*r));
    x.insert(x.end(), row.begin(), row.end());
    y.push_back(static_cast<float>(std::log(static_cast<double>(r->service_us))));
  }
  // Only the threads asked for (XGBoost's nthread), not one per core.
  OpenMpDefaultOneThread one_thread;
  DMatrixHandle dm_raw = nullptr;
  if (XGDMatrixCreateFromMat(x.data(), static_cast<bst_ulong>(train.size()), kPredictorFeatureCount,
                             std::numeric_limits<float>::quiet_NaN(), &dm_raw) != 0) {
    return Internal("XGBoost: cannot build the training matrix: " + XgboostLastError());
  }
  Handle dmatrix(dm_raw, XGDMatrixFree);
  if (XGDMatrixSetFloatInfo(dm_raw, "label", y.data(), static_cast<bst_ulong>(y.size())) != 0) {
    return Internal("XGBoost: " + XgboostLastError());
  }
  BoosterHandle b_raw = nullptr;
  if (XGBoosterCreate(&dm_raw, 1, &b_raw) != 0) return Internal("XGBoost: " + XgboostLastError());
  Handle booster(b_raw, XGBoosterFree);
  const std::pair<std::string, std::string> params[] = {
      // Absolute error on ln(service): the trees estimate the conditional
      // median, which MAPE (an absolute, relative error) rewards; squared
      // error estimates the mean of the log, pulled up by the long tail of
      // requests descheduled on a busy machine (15.7% vs 13.7% held-out MAPE
      // on the recorded mixed model trace).
      {"objective", "reg:absoluteerror"},
      {"booster", "gbtree"},
      {"tree_method", "hist"},  // exact on 256 bins per feature: fast, deterministic
      {"max_depth", std::to_string(options.max_depth)},
      {"eta", std::to_string(options.learning_rate)},
      {"seed", std::to_string(options.seed % 2147483648ULL)},
      {"nthread", std::to_string(options.threads)},
      {"base_score", std::to_string(overall_log.value())},  // start from the mean, not 0.5
      {"verbosity", "0"},
  };
  for (const auto& [key, value] : params) {
    if (XGBoosterSetParam(b_raw, key.c_str(), value.c_str()) != 0) {
      return Internal("XGBoost: parameter " + key + "=" + value + ": " + XgboostLastError());
    }
  }
  for (int round = 0; round < options.rounds; ++round) {
    if (XGBoosterUpdateOneIter(b_raw, round, dm_raw) != 0) {
      return Internal("XGBoost: boosting round " + std::to_string(round) + ": " + XgboostLastError());
    }
  }
  const std::string metadata_json = metadata.ToJson();
  if (XGBoosterSetAttr(b_raw, kPredictorMetadataAttr.data(), metadata_json.c_str()) != 0) {
    return Internal("XGBoost: " + XgboostLastError());
  }
  bst_ulong model_len = 0;
  const char* model_bytes = nullptr;
  if (XGBoosterSaveModelToBuffer(b_raw, R"({"format":"json"})", &model_len, &model_bytes) != 0) {
    return Internal("XGBoost: cannot save the model: " + XgboostLastError());
  }
  const std::string model(model_bytes, model_len);
  booster.reset();
  dmatrix.reset();

  // Measure through the predictor the server will load, from the very bytes
  // it will read: unknown classes take its fallback path.
  auto predictor = XgboostPredictor::FromBuffer(model, model_out);
  if (!predictor.ok())
    return Internal("the trained model does not load back: " + predictor.status().message());
  auto predict = [&](const std::vector<const TraceRequest*>& rows) {
    std::vector<PredictorFeatures> features;
    features.reserve(rows.size());
    for (const TraceRequest* r : rows) features.push_back(FeaturesOf(*r));
    return (*predictor)->PredictManyUs(features);
  };
  const std::vector<int64_t> test_predicted = predict(test);
  const std::vector<int64_t> train_predicted = predict(train);

  TrainingReport report;
  report.trace_rows = static_cast<int64_t>(trace.size());
  report.usable_rows = n;
  report.train_rows = train_n;
  report.held_out_rows = held;
  Mean model_error, baseline_error, constant_error, train_error;
  std::map<CostClass, Mean> class_model_error, class_baseline_error;
  for (size_t i = 0; i < test.size(); ++i) {
    const TraceRequest& r = *test[i];
    const auto actual = static_cast<double>(r.service_us);
    auto known = class_mean.find(r.cost_class);
    const double baseline = known != class_mean.end() ? known->second.value() : overall.value();
    const double e = AbsoluteRelativeError(static_cast<double>(test_predicted[i]), actual);
    const double be = AbsoluteRelativeError(baseline, actual);
    model_error.Add(e);
    baseline_error.Add(be);
    constant_error.Add(AbsoluteRelativeError(overall.value(), actual));
    class_model_error[r.cost_class].Add(e);
    class_baseline_error[r.cost_class].Add(be);
    ++report.classes[r.cost_class].held_out_rows;
  }
  for (size_t i = 0; i < train.size(); ++i) {
    train_error.Add(AbsoluteRelativeError(static_cast<double>(train_predicted[i]),
                                          static_cast<double>(train[i]->service_us)));
    ++report.classes[train[i]->cost_class].train_rows;
  }
  report.mape = model_error.value();
  report.baseline_mape = baseline_error.value();
  report.constant_mape = constant_error.value();
  report.train_mape = train_error.value();
  for (auto& [cost_class, accuracy] : report.classes) {
    accuracy.mape = class_model_error[cost_class].value();
    accuracy.baseline_mape = class_baseline_error[cost_class].value();
  }

  if (Status s = WriteFileAtomically(model_out, model); !s.ok()) return s;
  report.model_path = model_out;
  report.model_bytes = static_cast<int64_t>(model.size());
  return report;
}

}  // namespace switchyard
