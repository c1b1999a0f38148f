#include "results/run_record.h"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <type_traits>
#include <utility>

namespace switchyard::results {
namespace {

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <typename T>
struct IsNullable : std::false_type {};
template <typename T>
struct IsNullable<Nullable<T>> : std::true_type {};

std::string TypeName(const Json& j) { return j.type_name(); }

// What reading one field's value came to.
enum class Outcome {
  kRead,    // the member holds it
  kKept,    // not the member's to hold (lenient, or an empty enum name): kept in `extra`
  kFailed,  // the record is malformed; the error is set
};

// Reads the fields of one JSON object into a part: its Fields() calls
// operator() once per field. The first error is kept (later reads do
// nothing); what no field took is the part's `extra`.
class Reader {
 public:
  Reader(const Json& object, std::string prefix, Status& error)
      : object_(object), prefix_(std::move(prefix)), error_(error) {}

  template <typename M>
  void operator()(std::string_view key, M& member, const FieldOptions& options = {}) {
    if (!error_.ok()) return;
    const std::string name(key);
    const std::string path = prefix_ + name;
    auto it = object_.find(name);
    if (it == object_.end() || (it->is_null() && !IsNullable<M>::value)) {
      // Absent, or null where the schema allows no null: absent (a null
      // stays in `extra`, as written).
      if (options.required) Missing(path, options);
      return;
    }
    Outcome outcome;
    if constexpr (IsNullable<M>::value) {
      if (it->is_null()) {
        member = M::Null();
        outcome = Outcome::kRead;
      } else {
        typename M::value_type value{};
        outcome = Read(*it, value, path, options);
        if (outcome == Outcome::kRead) member = std::move(value);
      }
    } else if constexpr (IsOptional<M>::value) {
      typename M::value_type value{};
      outcome = Read(*it, value, path, options);
      if (outcome == Outcome::kRead) member = std::move(value);
    } else {
      outcome = Read(*it, member, path, options);
      if constexpr (std::is_same_v<M, std::string>) {
        if (outcome == Outcome::kRead && member.empty()) outcome = Outcome::kKept;
      }
    }
    if (outcome == Outcome::kRead) taken_.insert(name);
    if (outcome == Outcome::kKept && options.required) Missing(path, options);
  }

  // Marks `key` as read by the caller (the record's `kind`).
  void Take(std::string_view key) { taken_.insert(std::string(key)); }

  void Fail(const std::string& message) {
    if (error_.ok()) error_ = InvalidArgument(message);
  }

  // The fields no member took, as written.
  Json Rest() const {
    Json rest = Json::object();
    for (const auto& [k, v] : object_.items()) {
      if (!taken_.count(k)) rest[k] = v;
    }
    return rest;
  }

 private:
  void Missing(const std::string& path, const FieldOptions& options) {
    Fail(fmt::format("missing field `{}`{}", path, options.missing_hint));
  }

  Outcome Mismatch(const std::string& path, std::string_view what, const Json& v,
                   const FieldOptions& options) {
    if (options.lenient) return Outcome::kKept;
    Fail(fmt::format("field `{}` must be {}, not {}", path, what, TypeName(v)));
    return Outcome::kFailed;
  }

  Outcome Read(const Json& v, int64_t& out, const std::string& path, const FieldOptions& options) {
    if (v.is_number_integer()) {
      out = v.get<int64_t>();
      return Outcome::kRead;
    }
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
        out = static_cast<int64_t>(d);
        return Outcome::kRead;
      }
    }
    return Mismatch(path, "an integer", v, options);
  }

  Outcome Read(const Json& v, Number& out, const std::string& path, const FieldOptions& options) {
    std::optional<Number> n = Number::FromJson(v);
    if (!n) return Mismatch(path, "a number", v, options);
    out = *n;
    return Outcome::kRead;
  }

  Outcome Read(const Json& v, std::string& out, const std::string& path, const FieldOptions& options) {
    if (!v.is_string()) return Mismatch(path, "a string", v, options);
    out = v.get<std::string>();
    return Outcome::kRead;
  }

  Outcome Read(const Json& v, bool& out, const std::string& path, const FieldOptions& options) {
    if (!v.is_boolean()) return Mismatch(path, "a boolean", v, options);
    out = v.get<bool>();
    return Outcome::kRead;
  }

  template <NamedEnum E>
  Outcome Read(const Json& v, E& out, const std::string& path, const FieldOptions& options) {
    if (!v.is_string()) return Mismatch(path, "a string", v, options);
    const std::string s = v.get<std::string>();
    if (s.empty()) return Outcome::kKept;  // as if absent, as the report always read it
    for (const auto& [value, name] : EnumNames<E>::kNames) {
      if (s == name) {
        out = value;
        return Outcome::kRead;
      }
    }
    if (options.lenient) return Outcome::kKept;
    Fail(fmt::format("field `{}` must be {}, not \"{}\"", path, NameList<E>(), s));
    return Outcome::kFailed;
  }

  Outcome Read(const Json& v, std::vector<std::string>& out, const std::string& path,
               const FieldOptions& options) {
    if (!v.is_array()) return Mismatch(path, "an array", v, options);
    for (const Json& x : v) {
      if (!x.is_string()) {
        if (options.lenient) return Outcome::kKept;
        Fail(fmt::format("field `{}` must hold strings, not {}", path, TypeName(x)));
        return Outcome::kFailed;
      }
      out.push_back(x.get<std::string>());
    }
    return Outcome::kRead;
  }

  // Any value, kept as written (what the record carries for people, not
  // for the report: perf counters, errors by status).
  Outcome Read(const Json& v, Json& out, const std::string&, const FieldOptions&) {
    out = v;
    return Outcome::kRead;
  }

  template <RecordPart P>
  Outcome Read(const Json& v, P& out, const std::string& path, const FieldOptions& options) {
    if (!v.is_object()) return Mismatch(path, "an object", v, options);
    Reader nested(v, path + ".", error_);
    P::Fields(nested, out);
    out.extra = nested.Rest();
    return error_.ok() ? Outcome::kRead : Outcome::kFailed;
  }

  // An element a placeholder may stand for (Placeholders): kept as written.
  static bool Placeholder(const Json& v, const FieldOptions& options) {
    switch (options.placeholders) {
      case Placeholders::kNone:
        return false;
      case Placeholders::kNulls:
        return v.is_null();
      case Placeholders::kNonObjects:
        return !v.is_object();
    }
    return false;
  }

  template <RecordPart P>
  Outcome Read(const Json& v, std::vector<P>& out, const std::string& path, const FieldOptions& options) {
    if (!v.is_array()) return Mismatch(path, "an array", v, options);
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string at = options.unnumbered ? path + "[]" : fmt::format("{}[{}]", path, i);
      P element;
      if (Placeholder(v[i], options)) {
        element.extra = v[i];
      } else if (Read(v[i], element, at, FieldOptions{}) != Outcome::kRead) {
        return Outcome::kFailed;
      }
      out.push_back(std::move(element));
    }
    return Outcome::kRead;
  }

  template <RecordPart P>
  Outcome Read(const Json& v, std::map<std::string, P>& out, const std::string& path,
               const FieldOptions& options) {
    if (!v.is_object()) return Mismatch(path, "an object", v, options);
    for (const auto& [name, element_json] : v.items()) {
      P element;
      if (Placeholder(element_json, options)) {
        element.extra = element_json;
      } else if (Read(element_json, element, path + "." + name, FieldOptions{}) != Outcome::kRead) {
        return Outcome::kFailed;
      }
      out.emplace(name, std::move(element));
    }
    return Outcome::kRead;
  }

  const Json& object_;
  std::string prefix_;
  Status& error_;
  std::set<std::string> taken_;
};

// Writes a part's fields into a JSON object that already holds its `extra`.
class Writer {
 public:
  explicit Writer(Json& out) : out_(out) {}

  template <typename M>
  void operator()(std::string_view key, const M& member, const FieldOptions& = {}) {
    const std::string name(key);
    if constexpr (IsNullable<M>::value) {
      if (member.has_value()) {
        out_[name] = Write(*member);
      } else if (member.is_null()) {
        out_[name] = nullptr;
      }
    } else if constexpr (IsOptional<M>::value) {
      if (member) out_[name] = Write(*member);
    } else {
      out_[name] = Write(member);
    }
  }

  static Json Write(int64_t v) { return Json(v); }
  static Json Write(const Number& v) { return v.ToJson(); }
  static Json Write(const std::string& v) { return Json(v); }
  static Json Write(bool v) { return Json(v); }
  static Json Write(const std::vector<std::string>& v) { return Json(v); }
  static Json Write(const Json& v) { return v; }

  template <NamedEnum E>
  static Json Write(E v) {
    for (const auto& [value, name] : EnumNames<E>::kNames) {
      if (value == v) return Json(std::string(name));
    }
    return Json(nullptr);
  }

  template <RecordPart P>
  static Json Write(const P& part) {
    if (!part.extra.is_object()) return part.extra;  // a placeholder, as written
    Json out = part.extra;
    Writer w(out);
    P::Fields(w, part);
    return out;
  }

  template <RecordPart P>
  static Json Write(const std::vector<P>& parts) {
    Json out = Json::array();
    for (const P& p : parts) out.push_back(Write(p));
    return out;
  }

  template <RecordPart P>
  static Json Write(const std::map<std::string, P>& parts) {
    Json out = Json::object();
    for (const auto& [name, p] : parts) out[name] = Write(p);
    return out;
  }

 private:
  Json& out_;
};

// The record's `kind`: absent (or "server", kept as written) for a server
// record.
Result<RecordKind> ReadKind(const Json& j, Reader& r) {
  auto it = j.find("kind");
  if (it == j.end() || it->is_null()) return RecordKind::kServer;
  if (!it->is_string())
    return InvalidArgument(fmt::format("field `kind` must be a string, not {}", TypeName(*it)));
  const std::string kind = it->get<std::string>();
  for (RecordKind k : {RecordKind::kPipeline, RecordKind::kAdaptive}) {
    if (kind == RecordKindName(k)) {
      r.Take("kind");
      return k;
    }
  }
  if (kind.empty() || kind == "server") return RecordKind::kServer;
  return InvalidArgument(fmt::format(
      "field `kind` must be \"pipeline\", \"adaptive\" (or absent: a server cell), not \"{}\"", kind));
}

bool Empty(const std::optional<std::string>& s) { return !s || s->empty(); }

// What an ok record of its kind cannot do without.
Status CheckOkRecord(const RunRecord& rec, const Json& j) {
  if (!rec.ok()) return Status::Ok();
  if (const auto* server = std::get_if<ServerBody>(&rec.body)) {
    if (!server->workload || Empty(server->workload->name)) {
      return InvalidArgument("an ok record needs `workload.name`");
    }
    if (!server->load || !server->load->Point()) {
      return InvalidArgument("an ok record needs its load point (`load.x`)");
    }
  } else if (const auto* pipeline = std::get_if<PipelineBody>(&rec.body)) {
    if (!pipeline->config || Empty(pipeline->config->loader)) {
      return InvalidArgument("an ok pipeline record needs `config.loader`");
    }
    if (!j.contains("pipeline")) return InvalidArgument("an ok pipeline record needs its `pipeline` figures");
  } else if (const auto* adaptive = std::get_if<AdaptiveBody>(&rec.body)) {
    const bool controller = adaptive->config && adaptive->config->role == AdaptiveRole::kController;
    const std::optional<std::string> none;
    const auto& name = !adaptive->config ? none
                       : controller      ? adaptive->config->controller
                                         : adaptive->config->candidate;
    if (Empty(name))
      return InvalidArgument("an ok adaptive record needs `config.candidate` or `config.controller`");
    if (!adaptive->phases || adaptive->phases->empty()) {
      return InvalidArgument("an ok adaptive record needs its `phases`");
    }
  }
  return Status::Ok();
}

template <typename Body>
void ReadBody(Reader& r, RunRecord& rec) {
  rec.body = Body{};
  Body::Fields(r, std::get<Body>(rec.body));
}

}  // namespace

std::string_view RecordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kServer:
      return "";
    case RecordKind::kPipeline:
      return "pipeline";
    case RecordKind::kAdaptive:
      return "adaptive";
  }
  return "";
}

LoadMode Load::Mode() const {
  if (mode) return *mode;
  return rate ? LoadMode::kOpen : LoadMode::kClosed;
}

std::optional<double> Load::Point() const {
  const std::optional<Number>& point = x ? x : Mode() == LoadMode::kOpen ? rate : connections;
  if (!point || !std::isfinite(point->value())) return std::nullopt;
  return point->value();
}

Result<RunRecord> FromJson(const Json& j) {
  if (!j.is_object()) {
    return InvalidArgument(fmt::format("a record must be a JSON object, not {}", TypeName(j)));
  }
  Status error;
  Reader r(j, "", error);
  RunRecord rec;
  RunRecord::Fields(r, rec);
  if (!error.ok()) return error;
  if (rec.schema < 1) return InvalidArgument(fmt::format("unknown schema {}", rec.schema));
  auto kind = ReadKind(j, r);
  if (!kind.ok()) return kind.status();
  switch (*kind) {
    case RecordKind::kServer:
      ReadBody<ServerBody>(r, rec);
      break;
    case RecordKind::kPipeline:
      ReadBody<PipelineBody>(r, rec);
      break;
    case RecordKind::kAdaptive:
      ReadBody<AdaptiveBody>(r, rec);
      break;
  }
  if (!error.ok()) return error;
  rec.extra = r.Rest();
  if (Status s = CheckOkRecord(rec, j); !s.ok()) return s;
  return rec;
}

Json ToJson(const RunRecord& record) {
  Json out = record.extra;
  Writer w(out);
  RunRecord::Fields(w, record);
  if (record.kind() != RecordKind::kServer) out["kind"] = std::string(RecordKindName(record.kind()));
  std::visit([&](const auto& body) { std::remove_cvref_t<decltype(body)>::Fields(w, body); }, record.body);
  return out;
}

template <RecordPart T>
Result<T> PartFromJson(const Json& j) {
  if (!j.is_object()) return InvalidArgument(fmt::format("must be an object, not {}", TypeName(j)));
  Status error;
  Reader r(j, "", error);
  T part;
  T::Fields(r, part);
  if (!error.ok()) return error;
  part.extra = r.Rest();
  return part;
}

template <RecordPart T>
Json PartToJson(const T& part) {
  return Writer::Write(part);
}

#define SWITCHYARD_RESULTS_PART(T)                   \
  template Result<T> PartFromJson<T>(const Json& j); \
  template Json PartToJson<T>(const T& part);
SWITCHYARD_RESULTS_PART(Machine)
SWITCHYARD_RESULTS_PART(Percentiles)
SWITCHYARD_RESULTS_PART(Load)
SWITCHYARD_RESULTS_PART(ServerCellSettings)
SWITCHYARD_RESULTS_PART(WorkloadSpec)
SWITCHYARD_RESULTS_PART(GroupSummary)
SWITCHYARD_RESULTS_PART(ClientSummary)
SWITCHYARD_RESULTS_PART(ServerLatency)
SWITCHYARD_RESULTS_PART(ProcessTree)
SWITCHYARD_RESULTS_PART(PythonModelFigures)
SWITCHYARD_RESULTS_PART(ServerFigures)
SWITCHYARD_RESULTS_PART(DerivedFigures)
SWITCHYARD_RESULTS_PART(DataSet)
SWITCHYARD_RESULTS_PART(PipelineCellSettings)
SWITCHYARD_RESULTS_PART(CpuUse)
SWITCHYARD_RESULTS_PART(CacheState)
SWITCHYARD_RESULTS_PART(LoadSummary)
SWITCHYARD_RESULTS_PART(AdaptiveRunSettings)
SWITCHYARD_RESULTS_PART(PhaseFigures)
SWITCHYARD_RESULTS_PART(SecondFigures)
SWITCHYARD_RESULTS_PART(Decision)
#undef SWITCHYARD_RESULTS_PART

}  // namespace switchyard::results
