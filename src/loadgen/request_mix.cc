#include "loadgen/request_mix.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace switchyard {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

bool IsScore(RequestKind kind) {
  return kind == RequestKind::kCpu || kind == RequestKind::kIo || kind == RequestKind::kSleep;
}

template <typename T>
bool ParseNumber(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

Result<MixEntry> ParseEntry(std::string_view text) {
  std::vector<std::string_view> fields = Split(text, ':');
  auto bad = [&](const std::string& why) {
    return InvalidArgument("mix entry '" + std::string(text) + "': " + why);
  };
  MixEntry e;
  std::string_view kind = Trim(fields[0]);
  if (kind == "cpu") {
    e.kind = RequestKind::kCpu;
  } else if (kind == "io") {
    e.kind = RequestKind::kIo;
  } else if (kind == "sleep") {
    e.kind = RequestKind::kSleep;
  } else if (kind == "get") {
    e.kind = RequestKind::kGet;
  } else if (kind == "infer") {
    e.kind = RequestKind::kInfer;
  } else {
    return bad("unknown kind '" + std::string(kind) + "' (cpu, io, sleep, get or infer)");
  }
  for (size_t i = 1; i < fields.size(); ++i) {
    std::string_view f = Trim(fields[i]);
    size_t eq = f.find('=');
    if (eq == std::string_view::npos) {
      if (i + 1 != fields.size()) return bad("'" + std::string(f) + "' is not name=value (only the last field may be a bare weight)");
      if (!ParseNumber(f, e.weight) || !(e.weight > 0) || e.weight > 1e9) {
        return bad("the weight must be a positive number, not '" + std::string(f) + "'");
      }
      continue;
    }
    std::string_view name = f.substr(0, eq);
    std::string_view value = f.substr(eq + 1);
    bool ok = true;
    if (e.kind == RequestKind::kCpu && name == "iters") {
      ok = ParseNumber(value, e.iters);
    } else if (e.kind == RequestKind::kCpu && name == "data") {
      e.data = std::string(value);
    } else if (e.kind == RequestKind::kIo && name == "key") {
      int64_t key = 0;
      ok = ParseNumber(value, key) && key >= 0;
      e.key = key;
    } else if (e.kind == RequestKind::kIo && name == "keys") {
      ok = ParseNumber(value, e.keys) && e.keys > 0;
    } else if (e.kind == RequestKind::kSleep && name == "ms") {
      ok = ParseNumber(value, e.sleep_ms);
    } else if (e.kind == RequestKind::kInfer && name == "model") {
      e.model = std::string(value);
      // It becomes a path segment: keep it to what a directory name holds.
      ok = !e.model.empty() && e.model.find_first_of("/?# %") == std::string::npos;
    } else if (e.kind == RequestKind::kInfer && name == "version") {
      ok = ParseNumber(value, e.version) && e.version > 0;
    } else if (e.kind == RequestKind::kInfer && name == "shape") {
      e.shape.clear();
      int64_t elements = 1;
      for (std::string_view d : Split(value, 'x')) {
        int64_t n = 0;
        ok = ok && ParseNumber(d, n) && n > 0 && n <= (int64_t{1} << 24) / elements;
        if (ok) elements *= n;
        e.shape.push_back(n);
      }
      if (!ok) return bad("shape '" + std::string(value) + "' must be positive sizes joined by x (e.g. 1x3x32x32), at most 16M elements");
    } else if (e.kind == RequestKind::kInfer && name == "datatype") {
      e.datatype = std::string(value);
      ok = e.datatype == "FP32" || e.datatype == "FP64" || e.datatype == "INT32" || e.datatype == "INT64";
    } else if (e.kind == RequestKind::kInfer && name == "max") {
      ok = ParseNumber(value, e.max_int) && e.max_int > 0;
    } else if (e.kind == RequestKind::kInfer && name == "input") {
      if (!IsValidMixName(value)) return bad("input '" + std::string(value) + "' must be 1 to 64 of A-Z a-z 0-9 _ . -");
      e.input = std::string(value);
    } else if (e.kind == RequestKind::kInfer && name == "binary") {
      if (value != "0" && value != "1") return bad("binary '" + std::string(value) + "' must be 0 or 1");
      e.binary = value == "1";
    } else if (e.kind == RequestKind::kInfer && name == "value") {
      double v = 0;
      ok = ParseNumber(value, v) && std::isfinite(v);
      e.value = v;
    } else if (name == "client" || name == "label") {
      if (!IsValidMixName(value)) {
        return bad(std::string(name) + " '" + std::string(value) + "' must be 1 to 64 of A-Z a-z 0-9 _ . -");
      }
      (name == "client" ? e.client : e.label) = std::string(value);
      if (name == "label") e.label_given = true;
    } else if (IsScore(e.kind) && name == "priority") {
      int64_t priority = 0;
      ok = ParseNumber(value, priority) && priority >= 0;
      if (!ok) return bad("priority '" + std::string(value) + "' must be an integer >= 0");
      e.priority = priority;
    } else if (IsScore(e.kind) && name == "timeout_us") {
      int64_t timeout = 0;
      ok = ParseNumber(value, timeout) && timeout > 0;
      if (!ok) return bad("timeout_us '" + std::string(value) + "' must be an integer > 0 (microseconds)");
      e.timeout_us = timeout;
    } else {
      return bad("unknown parameter '" + std::string(name) + "' for " + std::string(kind) +
                 " (cpu: iters, data; io: key, keys; sleep: ms; get: none; infer: model, version, shape, datatype, binary, "
                 "max, input, value; cpu, io and sleep also priority, timeout_us; every kind client, label)");
    }
    if (!ok) return bad("bad value '" + std::string(value) + "' for " + std::string(name));
  }
  if (e.kind == RequestKind::kInfer && e.model.empty()) return bad("infer needs model=NAME");
  if (e.value && e.datatype.rfind("INT", 0) == 0 && *e.value != std::floor(*e.value)) {
    return bad("value " + fmt::format("{}", *e.value) + " is not an integer, as " + e.datatype + " needs");
  }
  return e;
}

// `e`'s input as binary tensor data: the same values InferBody sends as JSON.
std::string InferBinary(const MixEntry& e, int64_t count) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  std::uniform_int_distribution<int64_t> integer(0, e.max_int - 1);
  std::string bytes;
  auto put = [&bytes](auto v) { bytes.append(reinterpret_cast<const char*>(&v), sizeof v); };
  for (int64_t i = 0; i < count; ++i) {
    if (e.datatype == "FP32") {
      put(e.value ? static_cast<float>(*e.value) : real(rng));
    } else if (e.datatype == "FP64") {
      // What the JSON form sends: a float's shortest text, read as a double.
      put(e.value ? *e.value : std::strtod(fmt::format("{}", real(rng)).c_str(), nullptr));
    } else {
      const int64_t v = e.value ? static_cast<int64_t>(*e.value) : integer(rng);
      if (e.datatype == "INT32") {
        put(static_cast<int32_t>(v));
      } else {
        put(v);
      }
    }
  }
  return bytes;
}

// An Open Inference Protocol request for `e`: one input, values from a fixed
// seed so every run (and every generator thread) sends the same bytes. With
// binary=1, the JSON then the input's bytes; `json_length` is set to the
// JSON's length (Inference-Header-Content-Length).
std::string InferBody(const MixEntry& e, size_t* json_length) {
  std::mt19937_64 rng(42);
  int64_t count = 1;
  for (int64_t d : e.shape) count *= d;
  if (e.binary) {
    std::string bytes = InferBinary(e, count);
    std::string json = R"({"inputs":[{"name":)" + nlohmann::json(e.input).dump() + R"(,"shape":)" +
                       nlohmann::json(e.shape).dump() + R"(,"datatype":")" + e.datatype +
                       R"(","parameters":{"binary_data_size":)" + std::to_string(bytes.size()) +
                       R"(}}],"parameters":{"binary_data_output":true}})";
    *json_length = json.size();
    return json + bytes;
  }
  std::string data;
  data.reserve(static_cast<size_t>(count) * 11);
  const bool floats = e.datatype == "FP32" || e.datatype == "FP64";
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  std::uniform_int_distribution<int64_t> integer(0, e.max_int - 1);
  for (int64_t i = 0; i < count; ++i) {
    if (i > 0) data += ',';
    // Shortest round-trip form: what a float costs to send, no more.
    if (e.value) {
      data += floats ? fmt::format("{}", *e.value) : std::to_string(static_cast<int64_t>(*e.value));
    } else {
      data += floats ? fmt::format("{}", real(rng)) : std::to_string(integer(rng));
    }
  }
  return R"({"inputs":[{"name":)" + nlohmann::json(e.input).dump() + R"(,"shape":)" +
         nlohmann::json(e.shape).dump() + R"(,"datatype":")" +
         e.datatype + R"(","data":[)" + data + "]}]}";
}

}  // namespace

std::string RequestMix::InferInputBytes(size_t i) const {
  const MixEntry& e = entries_[i];
  int64_t count = 1;
  for (int64_t d : e.shape) count *= d;
  return InferBinary(e, count);
}

std::string RequestMix::Path(size_t i) const {
  const MixEntry& e = entries_[i];
  if (e.kind != RequestKind::kInfer) return {};
  return "/v2/models/" + e.model + (e.version > 0 ? "/versions/" + std::to_string(e.version) : "") + "/infer";
}

bool IsValidMixName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

std::string_view RequestKindName(RequestKind kind) {
  switch (kind) {
    case RequestKind::kCpu: return "cpu";
    case RequestKind::kIo: return "io";
    case RequestKind::kSleep: return "sleep";
    case RequestKind::kGet: return "get";
    case RequestKind::kInfer: return "infer";
  }
  return "?";
}

Result<RequestMix> RequestMix::Parse(std::string_view spec) {
  std::string text(spec);
  if (!text.empty() && text[0] == '@') {
    std::ifstream in(text.substr(1));
    if (!in) return InvalidArgument("cannot read the mix file '" + text.substr(1) + "'");
    std::ostringstream joined;
    std::string line;
    while (std::getline(in, line)) {
      line = line.substr(0, line.find('#'));
      if (!Trim(line).empty()) joined << line << ',';
    }
    text = joined.str();
    if (!text.empty()) text.pop_back();
  }
  RequestMix mix;
  for (std::string_view part : Split(text, ',')) {
    part = Trim(part);
    if (part.empty()) return InvalidArgument("empty entry in the mix '" + std::string(spec) + "'");
    auto entry = ParseEntry(part);
    if (!entry.ok()) return entry.status();
    mix.entries_.push_back(std::move(entry).value());
  }
  // Labels: given, or the entry's text; either way unique, since reports
  // are keyed by them.
  for (size_t i = 0; i < mix.entries_.size(); ++i) {
    MixEntry& e = mix.entries_[i];
    if (!e.label_given) e.label = mix.EntryText(i);
    for (size_t j = 0; j < i; ++j) {
      if (mix.entries_[j].label == e.label) {
        return InvalidArgument(fmt::format(
            "mix entries {} and {} have the same label '{}': reports are keyed by label, so give one of "
            "them a label=NAME of its own (or merge them into one entry with the sum of the weights)",
            j + 1, i + 1, e.label));
      }
    }
  }
  double sum = 0;
  for (const MixEntry& e : mix.entries_) {
    sum += e.weight;
    mix.cumulative_.push_back(sum);
    nlohmann::json body;
    std::string suffix;  // the same fields for bodies built per request
    switch (e.kind) {
      case RequestKind::kCpu: body = {{"mode", "cpu"}, {"iters", e.iters}, {"data", e.data}}; break;
      case RequestKind::kIo:
        if (e.key) body = {{"mode", "io"}, {"key", *e.key}};
        break;
      case RequestKind::kSleep: body = {{"mode", "sleep"}, {"ms", e.sleep_ms}}; break;
      case RequestKind::kGet: break;
      case RequestKind::kInfer: break;
    }
    if (e.priority) {
      if (body.is_object()) body["priority"] = *e.priority;
      suffix += R"(,"priority":)" + std::to_string(*e.priority);
    }
    if (e.timeout_us) {
      if (body.is_object()) body["timeout_us"] = *e.timeout_us;
      suffix += R"(,"timeout_us":)" + std::to_string(*e.timeout_us);
    }
    size_t json_length = 0;
    mix.fixed_bodies_.push_back(e.kind == RequestKind::kInfer ? InferBody(e, &json_length)
                                : body.is_null()              ? std::string()
                                                              : body.dump());
    mix.body_suffix_.push_back(std::move(suffix));
    std::string headers = e.client.empty() ? std::string() : "X-Client-Id: " + e.client + "\r\n";
    if (e.binary) headers += "Inference-Header-Content-Length: " + std::to_string(json_length) + "\r\n";
    mix.headers_.push_back(std::move(headers));
    if (std::find(mix.clients_.begin(), mix.clients_.end(), e.client) == mix.clients_.end()) {
      mix.clients_.push_back(e.client);
    }
  }
  return mix;
}

size_t RequestMix::Pick(std::mt19937_64& rng) const {
  if (entries_.size() == 1) return 0;
  double x = std::uniform_real_distribution<double>(0, cumulative_.back())(rng);
  for (size_t i = 0; i < cumulative_.size(); ++i) {
    if (x < cumulative_[i]) return i;
  }
  return cumulative_.size() - 1;
}

std::string RequestMix::Body(size_t i, std::mt19937_64& rng) const {
  const MixEntry& e = entries_[i];
  if (e.kind == RequestKind::kIo && !e.key) {
    int64_t key = std::uniform_int_distribution<int64_t>(0, e.keys - 1)(rng);
    return R"({"mode":"io","key":)" + std::to_string(key) + body_suffix_[i] + "}";
  }
  return fixed_bodies_[i];
}

std::string RequestMix::EntryText(size_t i) const {
  const MixEntry& e = entries_[i];
  std::string out(RequestKindName(e.kind));
  switch (e.kind) {
    case RequestKind::kCpu:
      out += ":iters=" + std::to_string(e.iters);
      if (!e.data.empty()) out += ":data=" + e.data;
      break;
    case RequestKind::kIo:
      out += e.key ? ":key=" + std::to_string(*e.key) : ":keys=" + std::to_string(e.keys);
      break;
    case RequestKind::kSleep: out += ":ms=" + std::to_string(e.sleep_ms); break;
    case RequestKind::kGet: break;
    case RequestKind::kInfer: {
      out += ":model=" + e.model;
      if (e.version > 0) out += ":version=" + std::to_string(e.version);
      std::string shape;
      for (int64_t d : e.shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
      out += ":shape=" + shape + ":datatype=" + e.datatype;
      if (e.value) {
        out += ":value=" + fmt::format("{}", *e.value);
      } else if (e.datatype.rfind("INT", 0) == 0) {
        out += ":max=" + std::to_string(e.max_int);
      }
      if (e.input != "INPUT__0") out += ":input=" + e.input;
      if (e.binary) out += ":binary=1";
      break;
    }
  }
  if (!e.client.empty()) out += ":client=" + e.client;
  if (e.priority) out += ":priority=" + std::to_string(*e.priority);
  if (e.timeout_us) out += ":timeout_us=" + std::to_string(*e.timeout_us);
  return out;
}

std::string RequestMix::ToString() const {
  std::string out;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const MixEntry& e = entries_[i];
    if (!out.empty()) out += ',';
    out += EntryText(i);
    if (e.label_given) out += ":label=" + e.label;
    std::ostringstream w;
    w << e.weight;
    out += ":" + w.str();
  }
  return out;
}

}  // namespace switchyard
