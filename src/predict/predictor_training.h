// Fitting the learned runtime predictor (xgboost_predictor.h) on a recorded
// trace, and measuring it on requests it did not see.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "trace/trace.h"

namespace switchyard {

struct TrainingOptions {
  // Share of the usable requests held out for measuring, 0 .. 0.9, chosen
  // by a seeded shuffle: the same trace and seed hold out the same requests.
  double holdout = 0.2;
  // 100 trees of depth 3: on the recorded mixed model trace (docs/predictor.md)
  // they held out better than 200 of depth 6 (13.7% vs 15.7% MAPE; deeper
  // trees learned the noise), and a prediction walks half as many nodes.
  int rounds = 100;            // boosting rounds (trees), 1 .. 10000
  int max_depth = 3;           // 1 .. 16
  double learning_rate = 0.1;  // XGBoost's eta, (0, 1]
  uint64_t seed = 1;
  int threads = 1;  // XGBoost's training threads, 1 .. 256
};

// MAPE: mean over requests of |predicted - actual| / actual. NaN where there
// was nothing to measure.
struct ClassAccuracy {
  int64_t train_rows = 0;
  int64_t held_out_rows = 0;
  double mape = 0;           // the model, on this class's held-out requests
  double baseline_mape = 0;  // the class's training mean (what an online per-class average gives)
};

struct TrainingReport {
  int64_t trace_rows = 0;
  int64_t usable_rows = 0;  // status 200 or unrecorded (0), service_us > 0
  int64_t train_rows = 0;
  int64_t held_out_rows = 0;
  double mape = 0;           // the model, held out
  double baseline_mape = 0;  // per-class training means, held out
  double constant_mape = 0;  // one training mean for everything, held out
  double train_mape = 0;     // the model on its own training rows (for spotting over-fitting)
  std::map<CostClass, ClassAccuracy> classes;  // every class of the usable requests
  std::string model_path;
  int64_t model_bytes = 0;
};

// Trains on `trace`'s usable requests and writes the model to `model_out`
// (XGBoost JSON, replaced atomically: never a half-written file).
// InvalidArgument for bad options, an empty trace or fewer than 20 usable
// requests; the file-system error when `model_out` cannot be written.
// Deterministic: the same trace, options and XGBoost give the same model.
// Thread-safe; uses `options.threads` threads while it runs.
Result<TrainingReport> TrainPredictor(const std::vector<TraceRequest>& trace, const TrainingOptions& options,
                                      const std::string& model_out);

inline constexpr int64_t kMinTrainingRows = 20;

}  // namespace switchyard
