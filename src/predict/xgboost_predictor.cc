#include "predict/xgboost_predictor.h"

#include <omp.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/file_util.h"

namespace switchyard {
namespace {

constexpr double kMinPredictionUs = 1;
constexpr double kMaxPredictionUs = 86400e6;  // one day

// In-place prediction: all trees, plain values. "cache_id" is required by
// XGBoost 1.7's parser; "missing" never occurs (every feature is always set).
constexpr const char* kPredictConfig =
    R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,)"
    R"("cache_id":0,"missing":NaN})";

}  // namespace

std::string XgboostLastError() {
  std::string m = XGBGetLastError();
  if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
  if (!m.empty() && m[0] == '[') {  // "[22:34:26] "
    if (auto close = m.find("] "); close != std::string::npos) m.erase(0, close + 2);
  }
  // "./src/common/json.cc:407: " -> ""
  if (auto colon = m.find(": "); colon != std::string::npos && m.compare(0, 2, "./") == 0) {
    m.erase(0, colon + 2);
  }
  while (!m.empty() && (m.back() == ' ' || m.back() == '\r')) m.pop_back();
  return m.empty() ? "unknown XGBoost error" : m;
}

OpenMpDefaultOneThread::OpenMpDefaultOneThread() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
OpenMpDefaultOneThread::~OpenMpDefaultOneThread() { omp_set_num_threads(saved_); }

namespace {

double Clamp(double us) {
  if (!std::isfinite(us)) return us > 0 ? kMaxPredictionUs : kMinPredictionUs;
  return std::clamp(us, kMinPredictionUs, kMaxPredictionUs);
}

std::string ArrayInterface(const float* data, size_t rows) {
  // numpy's __array_interface__, version 3, as XGBoost reads it.
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, R"({"data":[%ju,true],"shape":[%zu,%d],"typestr":"<f4","version":3})",
                static_cast<uintmax_t>(reinterpret_cast<uintptr_t>(data)), rows, kPredictorFeatureCount);
  return buffer;
}

}  // namespace

std::array<float, kPredictorFeatureCount> FeatureRow(int class_code, const PredictorFeatures& f) {
  return {static_cast<float>(class_code),        static_cast<float>(f.cost_class.log2_size()),
          static_cast<float>(f.input_bytes),     static_cast<float>(f.queue_length),
          static_cast<float>(f.cpu_utilisation), static_cast<float>(f.hour_of_day),
          static_cast<float>(f.in_system)};
}

std::string ModelMetadata::ToJson() const {
  nlohmann::json j = {{"format", format},
                      {"features", kFeatureNames},
                      {"target", "ln_service_us"},
                      {"classes", classes},
                      {"family_mean_us", family_mean_us},
                      {"mean_us", mean_us},
                      {"trained_rows", trained_rows}};
  return j.dump();
}

Result<ModelMetadata> ModelMetadata::FromJson(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return InvalidArgument("its switchyard metadata is not a JSON object");
  ModelMetadata m;
  if (!j.contains("format") || j["format"] != 1) {
    return InvalidArgument("its switchyard metadata has format " +
                           (j.contains("format") ? j["format"].dump() : "?") +
                           "; this switchyard reads format 1");
  }
  if (!j.contains("features") || j["features"] != nlohmann::json(kFeatureNames)) {
    return InvalidArgument("its features are not the ones this switchyard computes");
  }
  const auto& classes = j.value("classes", nlohmann::json());
  if (!classes.is_array() || classes.empty()) return InvalidArgument("its class table is missing or empty");
  for (const auto& c : classes) {
    if (!c.is_string()) return InvalidArgument("its class table holds a non-string");
    m.classes.push_back(c.get<std::string>());
  }
  const auto& families = j.value("family_mean_us", nlohmann::json());
  if (families.is_object()) {
    for (const auto& [family, us] : families.items()) {
      if (us.is_number()) m.family_mean_us[family] = us.get<double>();
    }
  }
  const auto& mean = j.value("mean_us", nlohmann::json());
  if (!mean.is_number() || !(mean.get<double>() > 0))
    return InvalidArgument("its fallback mean_us is missing");
  m.mean_us = mean.get<double>();
  m.trained_rows = j.value("trained_rows", int64_t{0});
  return m;
}

Result<std::unique_ptr<XgboostPredictor>> XgboostPredictor::FromBuffer(std::string_view model,
                                                                       const std::string& name) {
  auto fail = [&name](const std::string& why) {
    return InvalidArgument("'" + name + "' is not a switchyard predictor model: " + why);
  };
  // XGBoost would read anything else as its legacy binary format, and
  // garbage there can fail in odd ways (a wild length, an allocation).
  if (model.empty()) return fail("the file is empty");
  if (model.front() != '{') return fail("XGBoost JSON expected (what train-predictor writes)");

  OpenMpDefaultOneThread one_thread;
  BoosterHandle raw = nullptr;
  if (XGBoosterCreate(nullptr, 0, &raw) != 0) return Internal("XGBoost: " + XgboostLastError());
  std::unique_ptr<void, int (*)(BoosterHandle)> booster(raw, XGBoosterFree);
  if (XGBoosterLoadModelFromBuffer(raw, model.data(), model.size()) != 0) return fail(XgboostLastError());

  const char* attr = nullptr;
  int found = 0;
  if (XGBoosterGetAttr(raw, kPredictorMetadataAttr.data(), &attr, &found) != 0)
    return fail(XgboostLastError());
  if (!found) return fail("an XGBoost model without switchyard's metadata (attribute switchyard_predictor)");
  auto metadata = ModelMetadata::FromJson(attr);
  if (!metadata.ok()) return fail(metadata.status().message());

  bst_ulong features = 0;
  if (XGBoosterGetNumFeature(raw, &features) != 0) return fail(XgboostLastError());
  if (features != kPredictorFeatureCount) {
    return fail("it takes " + std::to_string(features) + " features, not " +
                std::to_string(kPredictorFeatureCount));
  }
  // Concurrent prediction is safe on tree boosters only (dart is not).
  bst_ulong config_len = 0;
  const char* config = nullptr;
  if (XGBoosterSaveJsonConfig(raw, &config_len, &config) != 0) return fail(XgboostLastError());
  auto cj = nlohmann::json::parse(std::string_view(config, config_len), nullptr, false);
  std::string booster_name;
  if (cj.is_object()) {
    booster_name = cj.value(nlohmann::json::json_pointer("/learner/gradient_booster/name"), std::string());
  }
  if (booster_name != "gbtree") return fail("booster '" + booster_name + "', not gbtree");

  // One thread per prediction (callers are the server's threads: no OpenMP
  // team per caller), and quiet.
  if (XGBoosterSetParam(raw, "nthread", "1") != 0 || XGBoosterSetParam(raw, "verbosity", "0") != 0) {
    return fail(XgboostLastError());
  }
  std::unique_ptr<XgboostPredictor> predictor(new XgboostPredictor(booster.release(), std::move(*metadata)));
  // A first prediction configures the learner here, on one thread, before
  // anyone shares it; it also proves the model predicts.
  float row[kPredictorFeatureCount] = {};
  std::string array = ArrayInterface(row, 1);
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* out = nullptr;
  void* proxy = predictor->TakeProxy();
  const int rc = XGBoosterPredictFromDense(predictor->booster_, array.c_str(), kPredictConfig, proxy, &shape,
                                           &dims, &out);
  predictor->ReturnProxy(proxy);
  if (rc != 0) return fail("it cannot predict: " + XgboostLastError());
  return predictor;
}

XgboostPredictor::XgboostPredictor(void* booster, ModelMetadata metadata)
    : booster_(booster), metadata_(std::move(metadata)) {
  for (size_t i = 0; i < metadata_.classes.size(); ++i) {
    const std::string& c = metadata_.classes[i];
    codes_.emplace(c, static_cast<int>(i));
    const CostClass parsed = CostClass::Parse(c);
    if (parsed.log2_size() >= 0) {
      sized_[std::string(parsed.family_name())].emplace_back(parsed.log2_size(), static_cast<int>(i));
    }
  }
}

XgboostPredictor::~XgboostPredictor() {
  MutexLock lock(proxies_mu_);
  for (void* proxy : free_proxies_) XGDMatrixFree(proxy);
  XGBoosterFree(booster_);
}

void* XgboostPredictor::TakeProxy() const {
  {
    MutexLock lock(proxies_mu_);
    if (!free_proxies_.empty()) {
      void* proxy = free_proxies_.back();
      free_proxies_.pop_back();
      return proxy;
    }
  }
  DMatrixHandle proxy = nullptr;
  if (XGProxyDMatrixCreate(&proxy) != 0) return nullptr;  // XGBoost then makes one per call
  return proxy;
}

void XgboostPredictor::ReturnProxy(void* proxy) const {
  if (proxy == nullptr) return;
  MutexLock lock(proxies_mu_);
  free_proxies_.push_back(proxy);
}

int XgboostPredictor::CodeOf(const CostClass& cost_class) const {
  if (auto it = codes_.find(cost_class.text()); it != codes_.end()) return it->second;
  auto family = sized_.find(cost_class.family_name());
  if (cost_class.log2_size() < 0 || family == sized_.end()) return -1;
  int best = -1;
  int best_distance = std::numeric_limits<int>::max();
  for (auto [size, code] : family->second) {
    if (std::abs(size - cost_class.log2_size()) < best_distance) {
      best_distance = std::abs(size - cost_class.log2_size());
      best = code;
    }
  }
  return best;
}

double XgboostPredictor::FallbackUs(const CostClass& cost_class) const {
  auto it = metadata_.family_mean_us.find(std::string(cost_class.family_name()));
  return it != metadata_.family_mean_us.end() ? it->second : metadata_.mean_us;
}

int64_t XgboostPredictor::PredictUs(const PredictorFeatures& features) const {
  return PredictManyUs(std::span(&features, 1)).front();
}

std::vector<int64_t> XgboostPredictor::PredictManyUs(std::span<const PredictorFeatures> rows) const {
  std::vector<int64_t> out(rows.size());
  std::vector<float> matrix;
  std::vector<size_t> modelled;  // indexes of the rows the model predicts
  matrix.reserve(rows.size() * kPredictorFeatureCount);
  for (size_t i = 0; i < rows.size(); ++i) {
    int code = CodeOf(rows[i].cost_class);
    if (code < 0) {
      out[i] = static_cast<int64_t>(std::llround(Clamp(FallbackUs(rows[i].cost_class))));
      continue;
    }
    // log2_size is the row's own, even where the code is a neighbour's.
    auto row = FeatureRow(code, rows[i]);
    matrix.insert(matrix.end(), row.begin(), row.end());
    modelled.push_back(i);
  }
  if (modelled.empty()) return out;
  std::string array = ArrayInterface(matrix.data(), modelled.size());
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* predictions = nullptr;
  void* proxy = TakeProxy();
  // The output buffer is XGBoost's, per thread and per booster: read it
  // before this thread's next call.
  const bool failed = XGBoosterPredictFromDense(booster_, array.c_str(), kPredictConfig, proxy, &shape, &dims,
                                                &predictions) != 0;
  for (size_t k = 0; k < modelled.size(); ++k) {
    const size_t i = modelled[k];
    // Failure cannot happen with a model that passed FromBuffer's check;
    // still, a guess rather than an error is the contract.
    const double us = failed ? FallbackUs(rows[i].cost_class) : std::exp(static_cast<double>(predictions[k]));
    out[i] = static_cast<int64_t>(std::llround(Clamp(us)));
  }
  ReturnProxy(proxy);
  return out;
}

void XgboostPredictor::Observe(const PredictorFeatures& /*features*/, int64_t /*service_us*/) {}

Result<std::unique_ptr<RuntimePredictor>> LoadXgboostPredictor(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes.ok()) return NotFound("predictor model: " + bytes.status().message());
  auto predictor = XgboostPredictor::FromBuffer(*bytes, path);
  if (!predictor.ok()) return predictor.status();
  return std::unique_ptr<RuntimePredictor>(std::move(*predictor));
}

}  // namespace switchyard
