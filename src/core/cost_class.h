// CostClass: the coarse class a request's cost is learned under — what the
// runtime predictor keys on, sjf queues by, the trace records and the
// simulator reports by.
//
//   cpu:2^K    SHA-256 chain of about 2^K iterations (K = floor(log2(iters+1)))
//   io         one SQLite lookup
//   sleep:2^K  a sleep of about 2^K ms
//   model:NAME an inference of model NAME
//
// Powers of two keep the set of classes small whatever clients send (at most
// 65 per mode), while requests within a class differ at most 2x in cost.
//
// A trace written by hand may name its classes anything ("default", "a"):
// those are Family::kOther and cost CPU, as an unknown request would. The
// text form above is for the edges only (trace files, predictor model files,
// logs, JSON); inside, code asks family(), kind() and log2_size().
//
// A value type: copyable, immutable, safe to share between threads.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace switchyard {

// What a request's work needs of the machine and where its share of the mix
// is counted (WindowStats' shares, the controller's features). Model
// inference is its own kind: CPU work that cannot be sliced.
enum class CostKind : uint8_t { kCpu = 0, kIo = 1, kSleep = 2, kModel = 3 };
inline constexpr size_t kCostKinds = 4;
std::string_view CostKindName(CostKind kind);  // "cpu", "io", "sleep", "model"

class CostClass {
 public:
  enum class Family : uint8_t { kCpu, kIo, kSleep, kModel, kOther };

  // The class of no request ("", Family::kOther).
  CostClass() = default;

  static CostClass Cpu(uint64_t iters);
  static CostClass Io();
  static CostClass Sleep(uint64_t ms);
  static CostClass Model(std::string_view name);
  // From the text form. Never fails: text that is not one of the forms above
  // is a class of Family::kOther named by that text. Parse(c.text()) == c.
  static CostClass Parse(std::string_view text);

  Family family() const { return family_; }
  // kCpu for kCpu and kOther; the family's own kind otherwise.
  CostKind kind() const;
  // K of a ":2^K" suffix ("cpu:2^17" -> 17), -1 when there is none.
  int log2_size() const { return log2_size_; }
  // The text before the first ':' ("cpu", "model", "io", "default"): the
  // key the predictor's model file stores family means under.
  std::string_view family_name() const;
  // The text form (the edges: files, JSON, logs).
  const std::string& text() const { return text_; }

  bool operator==(const CostClass& other) const { return text_ == other.text_; }
  std::strong_ordering operator<=>(const CostClass& other) const { return text_ <=> other.text_; }

 private:
  CostClass(Family family, int log2_size, std::string text)
      : family_(family), log2_size_(log2_size), text_(std::move(text)) {}

  Family family_ = Family::kOther;
  int log2_size_ = -1;
  std::string text_;
};

}  // namespace switchyard

template <>
struct std::hash<switchyard::CostClass> {
  size_t operator()(const switchyard::CostClass& c) const noexcept {
    return std::hash<std::string>()(c.text());
  }
};
