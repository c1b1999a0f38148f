// The learned runtime predictor: gradient-boosted trees (XGBoost) that
// `switchyard train-predictor` fits on a recorded trace (predictor_training.h)
// and `serve --predictor MODEL` loads. docs/predictor.md tells the whole story.
//
// The model file is XGBoost's own JSON model format, self-contained: the
// booster plus, in its attribute "switchyard_predictor", switchyard's
// metadata (ModelMetadata below: the cost-class table, the feature list, the
// fallbacks). A model without that attribute is refused, since its class
// codes would mean nothing.
//
// Features, one float each, in this order (kFeatureNames):
//   class_code    the cost class's index in the model's class table; the
//                 table is ordered by the class's mean log service time in
//                 training, so one split on the code separates cheap classes
//                 from dear ones
//   log2_size     k of a "family:2^k" class ("cpu:2^17" -> 17), -1 if none
//   input_bytes, queue_length, cpu_util, hour, in_system    as recorded
// Target: ln(service_us), fitted with absolute error (the conditional median;
// predictor_training.cc says why), exponentiated when predicting. Service times span
// four orders of magnitude and the error that matters is relative (MAPE):
// squared error on the log is a relative error, where squared error on µs
// lets the 20 ms classes drown the 50 µs ones. Measured on two synthetic
// traces of 5000 requests (the rule of tests/predictor_test.cc; the same
// with service x (1 + 1.5 cpu_util) and lognormal noise, sigma 0.2), held-out
// MAPE: log target 2.6% and 17.5%, µs target 7.2% and 49.3% (the per-class
// mean: 2.5% and 30.9%).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/thread_annotations.h"
#include "predict/runtime_predictor.h"

namespace switchyard {

// ---- The model file, shared by training and prediction ----

inline constexpr std::string_view kPredictorMetadataAttr = "switchyard_predictor";
inline constexpr int kPredictorFeatureCount = 7;
inline constexpr std::array<std::string_view, kPredictorFeatureCount> kFeatureNames = {
    "class_code", "log2_size", "input_bytes", "queue_length", "cpu_util", "hour", "in_system"};

// One row of the feature matrix. `class_code` is the class's index in the
// model's table.
std::array<float, kPredictorFeatureCount> FeatureRow(int class_code, const PredictorFeatures& features);

struct ModelMetadata {
  int format = 1;
  std::vector<std::string> classes;  // index = class_code
  // Predictions for classes the model never saw: the training mean of the
  // class's family ("cpu"), else of everything. A class of a known family
  // with a size ("cpu:2^19") borrows the code of the family's nearest size.
  std::map<std::string, double> family_mean_us;
  double mean_us = 0;
  int64_t trained_rows = 0;

  std::string ToJson() const;
  // InvalidArgument naming what is missing or malformed.
  static Result<ModelMetadata> FromJson(std::string_view json);
};

// XGBoost's last error on this thread, reduced to its message: XGBoost's
// carry a time stamp, a source location and a stack trace.
std::string XgboostLastError();

// While one lives, OpenMP parallel loops this thread starts without a
// thread count of their own run on one thread. XGBoost sizes some loops
// (loading a model's trees, building a matrix) by that default, all cores,
// before its nthread parameter applies, and libgomp keeps the threads it
// starts for the life of the process: a server must stay single-threaded
// until it has forked its zygote (executor/process). Restores the default
// on destruction. Not copyable; this thread only.
class OpenMpDefaultOneThread {
 public:
  OpenMpDefaultOneThread();
  ~OpenMpDefaultOneThread();
  OpenMpDefaultOneThread(const OpenMpDefaultOneThread&) = delete;
  OpenMpDefaultOneThread& operator=(const OpenMpDefaultOneThread&) = delete;

 private:
  int saved_;
};

// ---- The predictor ----

// A fixed, trained model. Thread-safe: PredictUs may be called from any
// thread concurrently; it uses XGBoost's in-place prediction, which is safe
// for concurrent use on a tree booster since XGBoost 1.4 (dmlc/xgboost PRs
// #5389 and #6648; the loader refuses any other booster). Observe is a no-op:
// the model does not learn online — retrain on a new trace instead.
// Lifetime: owns its booster and the proxies its calls fill; nothing else.
class XgboostPredictor final : public RuntimePredictor {
 public:
  // `model` is the content of a model file, `name` its path (for messages).
  // InvalidArgument naming `name` and XGBoost's own message when the bytes
  // are not a switchyard predictor model. Starts no thread.
  static Result<std::unique_ptr<XgboostPredictor>> FromBuffer(std::string_view model,
                                                              const std::string& name);

  ~XgboostPredictor() override;
  XgboostPredictor(const XgboostPredictor&) = delete;
  XgboostPredictor& operator=(const XgboostPredictor&) = delete;

  std::string_view name() const override { return "xgboost"; }
  // µs, from 1 µs to one day. An unknown class gets the fallback described
  // at ModelMetadata, never an error.
  int64_t PredictUs(const PredictorFeatures& features) const override;
  // No-op: the model is fixed.
  void Observe(const PredictorFeatures& features, int64_t service_us) override;

  // Many rows in one call to XGBoost (how training evaluates its held-out
  // rows); the same answers as PredictUs row by row.
  std::vector<int64_t> PredictManyUs(std::span<const PredictorFeatures> rows) const;

  const ModelMetadata& metadata() const { return metadata_; }

 private:
  XgboostPredictor(void* booster, ModelMetadata metadata);
  // The class code to predict `cost_class` with, or -1: use Fallback.
  int CodeOf(const CostClass& cost_class) const;
  double FallbackUs(const CostClass& cost_class) const;

  // A proxy DMatrix (what XGBoost's in-place prediction fills with a call's
  // rows) from the pool, or a new one; back to the pool after the call.
  // One per concurrent caller, reused: with a fresh one per call, a one-row
  // prediction of 200 trees took 26 µs instead of 10.
  void* TakeProxy() const EXCLUDES(proxies_mu_);
  void ReturnProxy(void* proxy) const EXCLUDES(proxies_mu_);

  void* booster_;  // BoosterHandle; owned
  mutable Mutex proxies_mu_;
  mutable std::vector<void*> free_proxies_ GUARDED_BY(proxies_mu_);  // DMatrixHandles; owned
  ModelMetadata metadata_;
  std::map<std::string, int, std::less<>> codes_;
  // class text -> code (the model file's table)
  // family name -> (log2 size, code) of its sized classes, for unseen sizes.
  std::map<std::string, std::vector<std::pair<int, int>>, std::less<>> sized_;
};

// Reads and loads the model file at `path`: NotFound when it cannot be read,
// InvalidArgument naming the file and the reason (XGBoost's message, or the
// missing switchyard metadata) when it is not a switchyard predictor model.
Result<std::unique_ptr<RuntimePredictor>> LoadXgboostPredictor(const std::string& path);

}  // namespace switchyard
