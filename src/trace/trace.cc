#include "trace/trace.h"

#include <simdjson.h>

#include "core/file_util.h"

namespace switchyard {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// A required or optional non-negative integer field.
Status NonNegativeField(simdjson::dom::object line, std::string_view key, bool required, int64_t& out) {
  element e;
  if (line.at_key(key).get(e) != simdjson::SUCCESS) {
    return required ? InvalidArgument("missing '" + std::string(key) + "'") : Status::Ok();
  }
  if (e.type() != element_type::INT64 || e.get_int64().value_unsafe() < 0) {
    return InvalidArgument("'" + std::string(key) + "' must be a non-negative integer");
  }
  out = e.get_int64().value_unsafe();
  return Status::Ok();
}

Status FractionField(simdjson::dom::object line, std::string_view key, double& out) {
  element e;
  if (line.at_key(key).get(e) != simdjson::SUCCESS) return Status::Ok();
  double v = 0;
  if (e.get_double().get(v) != simdjson::SUCCESS || !(v >= 0 && v <= 1)) {
    return InvalidArgument("'" + std::string(key) + "' must be a number from 0 to 1");
  }
  out = v;
  return Status::Ok();
}

Status StringField(simdjson::dom::object line, std::string_view key, std::string& out) {
  element e;
  if (line.at_key(key).get(e) != simdjson::SUCCESS) return Status::Ok();
  if (e.type() != element_type::STRING) return InvalidArgument("'" + std::string(key) + "' must be a string");
  out = std::string(e.get_string().value_unsafe());
  return Status::Ok();
}

}  // namespace

Result<std::vector<TraceRequest>> ParseTrace(std::string_view text, const std::string& name) {
  simdjson::dom::parser parser;
  std::vector<TraceRequest> requests;
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto fail = [&](const std::string& why) {
      return InvalidArgument(name + ":" + std::to_string(line_no) + ": " + why);
    };
    element doc;
    if (parser.parse(line.data(), line.size(), /*realloc_if_needed=*/true).get(doc) != simdjson::SUCCESS) {
      return fail("not a JSON object");
    }
    if (doc.type() != element_type::OBJECT) return fail("not a JSON object");
    const simdjson::dom::object object(doc);
    TraceRequest r;
    std::string cost_class = r.cost_class.text();
    for (Status s :
         {NonNegativeField(object, "arrival_us", true, r.arrival_us),
          NonNegativeField(object, "service_us", true, r.service_us),
          NonNegativeField(object, "priority", false, r.priority), StringField(object, "class", cost_class),
          StringField(object, "client", r.client), NonNegativeField(object, "queue_us", false, r.queue_us),
          NonNegativeField(object, "input_bytes", false, r.input_bytes),
          NonNegativeField(object, "queue_length", false, r.queue_length),
          FractionField(object, "cpu_util", r.cpu_util), NonNegativeField(object, "hour", false, r.hour),
          NonNegativeField(object, "in_system", false, r.in_system),
          NonNegativeField(object, "status", false, r.status)}) {
      if (!s.ok()) return fail(s.message());
    }
    if (r.hour > 23) return fail("'hour' must be from 0 to 23");
    r.cost_class = CostClass::Parse(cost_class);
    requests.push_back(std::move(r));
  }
  return requests;
}

Result<std::vector<TraceRequest>> LoadTrace(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return InvalidArgument("cannot read the trace '" + path + "': " + text.status().message());
  return ParseTrace(*text, path);
}

}  // namespace switchyard
