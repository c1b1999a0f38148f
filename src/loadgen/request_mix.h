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
//   infer  POST /v2/models/MODEL[/versions/V]/infer  model (required), version,
//          an Open Inference Protocol request with    shape [1], datatype [FP32]
//          one input (`input`, INPUT__0) of `shape`   (FP32, FP64, INT32, INT64),
//          (AxBxC), values drawn once from a fixed    max [1000], input [INPUT__0],
//          seed: floats uniform in [-1, 1), integers  value [none]
//          in [0, max) — or every element `value`;   binary [0]
//          binary=1: the input as binary tensor data
//          and the outputs asked for in binary (the v2 binary extension, as
//          Triton's perf_analyzer sends by default)
// The weight is the last field when it is a bare number [1]. Example:
//   cpu:iters=100000:3,io:1,sleep:ms=20:1
//   infer:model=mobilenet_v2:shape=1x3x32x32,infer:model=distilbert_like:shape=1x128:datatype=INT64
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

enum class RequestKind : uint8_t { kCpu, kIo, kSleep, kGet, kInfer };
inline constexpr int kRequestKinds = 5;
std::string_view RequestKindName(RequestKind kind);

struct MixEntry {
  RequestKind kind = RequestKind::kCpu;
  double weight = 1;
  uint64_t iters = 1000;              // cpu
  std::string data;                   // cpu
  std::optional<int64_t> key;         // io: this key every time
  int64_t keys = 100000;              // io: else uniform in [0, keys)
  uint32_t sleep_ms = 10;             // sleep
  std::string model;                  // infer
  int64_t version = 0;                // infer: 0 is the newest ready
  std::vector<int64_t> shape = {1};   // infer
  std::string datatype = "FP32";      // infer
  int64_t max_int = 1000;             // infer: integers in [0, max_int)
  std::string input = "INPUT__0";     // infer: the input's name (a config's, e.g. a Python model's)
  std::optional<double> value;        // infer: every element this value (else random)
  bool binary = false;                // infer: binary tensor data in and out
  std::string client;                 // any kind: X-Client-Id, "" for none
  std::optional<int64_t> priority;    // score kinds: body "priority"
  std::optional<int64_t> timeout_us;  // score kinds: body "timeout_us"
  std::string label;                  // given with label=, else the canonical text
  bool label_given = false;           // written out by ToString only when given
};

// The characters a client id or a label may hold: [A-Za-z0-9_.-], 1..64 of them.
bool IsValidMixName(std::string_view name);

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
  // The path entry `i` is sent to, or empty for the URL's own path (score
  // kinds, get).
  std::string Path(size_t i) const;
  // An infer entry's input tensor as raw bytes (little-endian, row-major):
  // the values its body sends, for protocols that carry raw tensors (gRPC).
  std::string InferInputBytes(size_t i) const;

  // The extra header lines of entry `i`'s requests ("X-Client-Id: NAME\r\n",
  // "Inference-Header-Content-Length: N\r\n", or empty) and its body's
  // Content-Type.
  const std::string& Headers(size_t i) const { return headers_[i]; }
  std::string_view ContentType(size_t i) const {
    return entries_[i].binary ? "application/octet-stream" : "application/json";
  }

  // The distinct clients of the mix in order of first appearance, "" among
  // them when some entry names none.
  const std::vector<std::string>& clients() const { return clients_; }
  // Entry `i`'s name in reports (unique within the mix).
  const std::string& Label(size_t i) const { return entries_[i].label; }

  // The spec with every default written out, for reports. Labels appear
  // only where one was given.
  std::string ToString() const;
  // Entry `i` as ToString writes it, without label and weight: its default label.
  std::string EntryText(size_t i) const;

 private:
  std::vector<MixEntry> entries_;
  std::vector<std::string> headers_;      // per entry
  std::vector<std::string> body_suffix_;  // per entry: ',"priority":N,...' for random bodies
  std::vector<std::string> clients_;
  std::vector<double> cumulative_;  // running sum of weights, for Pick
  std::vector<std::string> fixed_bodies_;  // per entry; empty when random (io with keys)
};

}  // namespace switchyard
