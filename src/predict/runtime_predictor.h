// RuntimePredictor: how long a request will take to serve, guessed before it
// runs. sjf orders by the guess, mlfq places unsliceable work by it, drr
// charges clients by it. Seed 002's features: the workload or model, the
// input size, the queue length, the CPU utilisation and the hour of day.
//
// Two implementations: EwmaPredictor (online, per cost class, no training:
// the default) and the XGBoost model `switchyard train-predictor` fits on a
// trace recorded with `serve --trace-out` (xgboost_predictor.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/predictor_features.h"

namespace switchyard {

// Thread-safe: Predict and Observe may be called from any thread, concurrently.
class RuntimePredictor {
 public:
  virtual ~RuntimePredictor() = default;
  virtual std::string_view name() const = 0;  // "ewma", "xgboost"
  // Predicted service time in µs, > 0.
  virtual int64_t PredictUs(const PredictorFeatures& features) const = 0;
  // A request with these features was served in `service_us`.
  virtual void Observe(const PredictorFeatures& features, int64_t service_us) = 0;
};

// An exponentially weighted mean of the service time per cost class.
// `alpha` weighs the newest observation; an unseen class is predicted at the
// mean over all classes seen so far (1 ms before anything was seen).
std::unique_ptr<RuntimePredictor> MakeEwmaPredictor(double alpha = 0.2);

}  // namespace switchyard
