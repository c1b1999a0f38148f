#include "core/cost_class.h"

#include <bit>

namespace switchyard {

namespace {

// floor(log2(amount + 1)): 0 -> 0, 1 -> 1, 2..3 -> 1.., never undefined.
int Log2Bucket(uint64_t amount) {
  return amount == UINT64_MAX ? 64 : static_cast<int>(std::bit_width(amount + 1)) - 1;
}

std::string SizedText(std::string_view family, int k) {
  return std::string(family) + ":2^" + std::to_string(k);
}

// K of a "2^K" with one or two digits, else -1 (what predictor model files
// have always been trained with: "2^100" is no size).
int ParseSize(std::string_view rest) {
  if (rest.size() < 3 || rest.size() > 4 || rest.substr(0, 2) != "2^") return -1;
  int k = 0;
  for (char c : rest.substr(2)) {
    if (c < '0' || c > '9') return -1;
    k = k * 10 + (c - '0');
  }
  return k;
}

}  // namespace

std::string_view CostKindName(CostKind kind) {
  switch (kind) {
    case CostKind::kCpu:
      return "cpu";
    case CostKind::kIo:
      return "io";
    case CostKind::kSleep:
      return "sleep";
    case CostKind::kModel:
      return "model";
  }
  return "?";
}

CostClass CostClass::Cpu(uint64_t iters) {
  const int k = Log2Bucket(iters);
  return CostClass(Family::kCpu, k, SizedText("cpu", k));
}

CostClass CostClass::Io() { return CostClass(Family::kIo, -1, "io"); }

CostClass CostClass::Sleep(uint64_t ms) {
  const int k = Log2Bucket(ms);
  return CostClass(Family::kSleep, k, SizedText("sleep", k));
}

CostClass CostClass::Model(std::string_view name) {
  return CostClass(Family::kModel, -1, "model:" + std::string(name));
}

CostClass CostClass::Parse(std::string_view text) {
  const size_t colon = text.find(':');
  const int size = colon == std::string_view::npos ? -1 : ParseSize(text.substr(colon + 1));
  const std::string_view family = text.substr(0, colon);
  Family f = Family::kOther;
  if (text == "io") {
    f = Family::kIo;
  } else if (colon != std::string_view::npos) {
    if (family == "cpu") f = Family::kCpu;
    if (family == "sleep") f = Family::kSleep;
    if (family == "model") f = Family::kModel;
  }
  return CostClass(f, size, std::string(text));
}

CostKind CostClass::kind() const {
  switch (family_) {
    case Family::kIo:
      return CostKind::kIo;
    case Family::kSleep:
      return CostKind::kSleep;
    case Family::kModel:
      return CostKind::kModel;
    case Family::kCpu:
    case Family::kOther:
      break;
  }
  return CostKind::kCpu;
}

std::string_view CostClass::family_name() const {
  return std::string_view(text_).substr(0, std::string_view(text_).find(':'));
}

}  // namespace switchyard
