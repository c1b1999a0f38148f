// ewma: the online default. One exponentially weighted mean of the service
// time per cost class; nothing to train, and it follows drift (a model that
// got slower under load, a cache that warmed up).
#include <unordered_map>

#include "core/thread_annotations.h"
#include "predict/runtime_predictor.h"

namespace switchyard {
namespace {

class EwmaPredictor final : public RuntimePredictor {
 public:
  explicit EwmaPredictor(double alpha) : alpha_(alpha) {}

  std::string_view name() const override { return "ewma"; }

  int64_t PredictUs(const PredictorFeatures& features) const override {
    MutexLock lock(mu_);
    auto it = means_.find(features.cost_class);
    double us = it != means_.end() ? it->second : (observed_ > 0 ? overall_ : kUnseenUs);
    return us < 1 ? 1 : static_cast<int64_t>(us + 0.5);
  }

  void Observe(const PredictorFeatures& features, int64_t service_us) override {
    const double x = static_cast<double>(service_us < 0 ? 0 : service_us);
    MutexLock lock(mu_);
    auto [it, fresh] = means_.try_emplace(features.cost_class, x);
    if (!fresh) it->second += alpha_ * (x - it->second);
    // The fallback for unseen classes: a plain running mean over everything.
    ++observed_;
    overall_ += (x - overall_) / static_cast<double>(observed_);
  }

 private:
  static constexpr double kUnseenUs = 1000;

  const double alpha_;
  mutable Mutex mu_;
  std::unordered_map<CostClass, double> means_ GUARDED_BY(mu_);
  double overall_ GUARDED_BY(mu_) = 0;
  uint64_t observed_ GUARDED_BY(mu_) = 0;
};

}  // namespace

std::unique_ptr<RuntimePredictor> MakeEwmaPredictor(double alpha) {
  return std::make_unique<EwmaPredictor>(alpha);
}

}  // namespace switchyard
