#include "server/score_api.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/json_quote.h"

namespace switchyard {
namespace {

using nlohmann::json;

// Reads a required non-negative integer field no larger than `max`.
Result<uint64_t> RequireCount(const json& body, const char* field, uint64_t max, const char* limit_flag) {
  auto it = body.find(field);
  if (it == body.end()) return InvalidArgument(std::string("missing field '") + field + "'");
  if (!it->is_number_integer()) {
    return InvalidArgument(std::string("field '") + field + "' must be an integer, got " +
                           std::string(it->type_name()));
  }
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v > max) {
      return InvalidArgument(std::string("field '") + field + "' is " + std::to_string(v) +
                             ", above the limit of " + std::to_string(max) + " (" + limit_flag + ")");
    }
    return v;
  }
  int64_t v = it->get<int64_t>();
  if (v < 0) {
    return InvalidArgument(std::string("field '") + field + "' must not be negative, got " +
                           std::to_string(v));
  }
  if (static_cast<uint64_t>(v) > max) {
    return InvalidArgument(std::string("field '") + field + "' is " + std::to_string(v) +
                           ", above the limit of " + std::to_string(max) + " (" + limit_flag + ")");
  }
  return static_cast<uint64_t>(v);
}

}  // namespace

Status ValidateClientId(std::string_view id, std::string_view where) {
  const bool ok = !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
  if (ok) return Status::Ok();
  return InvalidArgument(std::string(where) + " must be 1 to 64 characters of A-Z a-z 0-9 _ . -");
}

Result<ScoreRequest> ParseScoreRequest(std::string_view body, const ScoreLimits& limits,
                                       ScoreScheduling* scheduling) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    return InvalidArgument(std::string("malformed JSON: ") + e.what());
  }
  if (!doc.is_object()) {
    return InvalidArgument(std::string("body must be a JSON object, got ") + doc.type_name());
  }
  auto mode = doc.find("mode");
  if (mode == doc.end()) return InvalidArgument("missing field 'mode' (one of cpu, io, sleep)");
  if (!mode->is_string()) {
    return InvalidArgument(std::string("field 'mode' must be a string, got ") + mode->type_name());
  }
  const std::string& m = mode->get_ref<const std::string&>();
  ScoreRequest req;
  if (m == "cpu") {
    req.mode = ScoreMode::kCpu;
    auto iters = RequireCount(doc, "iters", limits.max_iters, "--max-iters");
    if (!iters.ok()) return iters.status();
    req.iters = iters.value();
    if (auto data = doc.find("data"); data != doc.end()) {
      if (!data->is_string()) {
        return InvalidArgument(std::string("field 'data' must be a string, got ") + data->type_name());
      }
      req.data = data->get<std::string>();
    }
  } else if (m == "io") {
    req.mode = ScoreMode::kIo;
    auto key = RequireCount(doc, "key", static_cast<uint64_t>(INT64_MAX), "int64 range");
    if (!key.ok()) return key.status();
    req.key = static_cast<int64_t>(key.value());
  } else if (m == "sleep") {
    req.mode = ScoreMode::kSleep;
    auto ms = RequireCount(doc, "ms", limits.max_sleep_ms, "--max-sleep-ms");
    if (!ms.ok()) return ms.status();
    req.sleep_ms = static_cast<uint32_t>(ms.value());
  } else {
    return InvalidArgument("unknown mode '" + m + "' (known: cpu, io, sleep)");
  }
  if (doc.contains("priority")) {
    // The range (--priority-levels) is the server's to check: it can change live.
    auto p = RequireCount(doc, "priority", static_cast<uint64_t>(INT64_MAX), "int64 range");
    if (!p.ok()) return p.status();
    if (scheduling != nullptr) scheduling->priority = static_cast<int64_t>(p.value());
  }
  if (doc.contains("timeout_us")) {
    auto t = RequireCount(doc, "timeout_us", static_cast<uint64_t>(INT64_MAX / 2), "int64 range");
    if (!t.ok()) return t.status();
    if (t.value() == 0)
      return InvalidArgument("field 'timeout_us' must be positive (leave it out for no deadline)");
    if (scheduling != nullptr) scheduling->timeout_us = static_cast<int64_t>(t.value());
  }
  if (auto client = doc.find("client"); client != doc.end()) {
    if (!client->is_string()) {
      return InvalidArgument(std::string("field 'client' must be a string, got ") + client->type_name());
    }
    const auto& id = client->get_ref<const std::string&>();
    Status valid = ValidateClientId(id, "field 'client'");
    if (!valid.ok()) return valid;
    if (scheduling != nullptr) scheduling->client = id;
  }
  return req;
}

std::string RenderScoreReply(const ScoreOutcome& outcome) {
  std::string out;
  out.reserve(outcome.result.size() + 80);
  out += R"({"ok":true,"result":)";
  out += outcome.result;
  out += R"(,"timing":{"queue_us":)";
  out += std::to_string(outcome.queue_us);
  out += R"(,"service_us":)";
  out += std::to_string(outcome.service_us);
  out += "}}";
  return out;
}

}  // namespace switchyard
