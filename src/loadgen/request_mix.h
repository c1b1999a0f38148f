// RequestMix: which requests a load generator sends, with what weights.
//
// Spec grammar (the --mix flag and the `mix` key of a phases or study file):
//   mix    := entry ("," entry)*
//   entry  := kind (":" param)* [":" weight]
//   param  := name "=" value
// Kinds and their parameters (defaults in brackets):
//   cpu    POST {"mode":"cpu","iters":N,"data":D}   iters [1000], data [""]
//   io     POST {"mode":"io","key":K}                key fixed, or a uniform
//                                                    random key in [0, keys) [100000]
//   sleep  POST {"mode":"sleep","ms":M}              ms [10]
//   get    GET of the URL's path, no body           (health checks, nginx)
// The weight is the last field when it is a bare number [1]. Example:
//   cpu:iters=100000:3,io:1,sleep:ms=20:1
// "@FILE" reads the spec from FILE, where entries may also be separated by
// newlines and "#" starts a comment.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace switchyard {

enum class RequestKind : uint8_t { kCpu, kIo, kSleep, kGet };
inline constexpr int kRequestKinds = 4;
std::string_view RequestKindName(RequestKind kind);

struct MixEntry {
  RequestKind kind = RequestKind::kCpu;
  double weight = 1;
  uint64_t iters = 1000;              // cpu
  std::string data;                   // cpu
  std::optional<int64_t> key;         // io: this key every time
  int64_t keys = 100000;              // io: else uniform in [0, keys)
  uint32_t sleep_ms = 10;             // sleep
};

// Immutable after Parse: safe to share between threads; each thread brings
// its own random engine.
class RequestMix {
 public:
  static Result<RequestMix> Parse(std::string_view spec);

  const std::vector<MixEntry>& entries() const { return entries_; }

  // An entry index drawn with the weights.
  size_t Pick(std::mt19937_64& rng) const;

  // The body of a request for entry `i` (empty for get).
  std::string Body(size_t i, std::mt19937_64& rng) const;
  bool IsGet(size_t i) const { return entries_[i].kind == RequestKind::kGet; }

  // The spec with every default written out, for reports.
  std::string ToString() const;

 private:
  std::vector<MixEntry> entries_;
  std::vector<double> cumulative_;  // running sum of weights, for Pick
  std::vector<std::string> fixed_bodies_;  // per entry; empty when random (io with keys)
};

}  // namespace switchyard
