// The vocabulary a results record's parts (results/run_record.h) use to list
// their fields: each part has a
//
//   template <typename V, typename Self> static void Fields(V& v, Self& self);
//
// that calls v("name", self.member [, options]) once per field, in the
// order the reader checks them. Three visitors walk that one list — the
// reader (FromJson), the writer (ToJson) and the schema listing
// (results/record_schema.h) — so the three cannot drift apart. A member's
// C++ type is its JSON type:
//
//   int64_t                  integer (2.0 reads as 2)
//   Number                   number, kept as written (results/number.h)
//   std::string, bool        string, boolean
//   an enum with EnumNames   one of its names, a string
//   std::vector<std::string> array of strings
//   nlohmann::json           any value, kept as written (perf counters, ...)
//   a part                   object (a struct with Fields() and `extra`)
//   std::vector<part>        array of objects
//   std::map<string, part>   object of objects, by name
//   std::optional<T>         optional; a bare T is required
//   Nullable<T>              optional, and may be null
//
// Thread-safety: constants and declarations only.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

namespace switchyard::results {

using Json = nlohmann::json;

// Elements of an array or object of parts that readers skip (today's files
// never have them): kept as written, so the record still round-trips. The
// part's `extra` then holds the element itself instead of an object.
enum class Placeholders {
  kNone,        // every element must be an object
  kNulls,       // null elements are kept and skipped
  kNonObjects,  // any element that is not an object is kept and skipped
};

struct FieldOptions {
  // Absent (or an empty string) fails the record: "missing field `cell`",
  // followed by `missing_hint` when there is one.
  bool required = false;
  std::string_view missing_hint;
  // A value of another type is not an error: it is kept as written and
  // read as absent (fields older readers ignored when malformed).
  bool lenient = false;
  // Arrays: error paths name no index (`timeseries[].t_s`, as the report
  // always said for per-second entries).
  bool unnumbered = false;
  Placeholders placeholders = Placeholders::kNone;
};

// The options Fields() lists use (every member spelled out: g++ warns about
// designated initializers that leave some out).
inline constexpr FieldOptions kRequired{true, {}, false, false, Placeholders::kNone};
inline constexpr FieldOptions kLenient{false, {}, true, false, Placeholders::kNone};
// Objects of parts by name whose null values readers skip.
inline constexpr FieldOptions kNullsSkipped{false, {}, false, false, Placeholders::kNulls};
// Arrays of parts whose non-objects readers skip; errors name no index.
inline constexpr FieldOptions kNonObjectsSkippedUnnumbered{false, {}, false, true, Placeholders::kNonObjects};

// A required field, with a hint after "missing field `x`".
constexpr FieldOptions RequiredWithHint(std::string_view hint) {
  return FieldOptions{true, hint, false, false, Placeholders::kNone};
}

// An enum stored as one of its names. Specialised beside each enum:
//   template <> struct EnumNames<RunStatus> {
//     static constexpr std::array kNames = {std::pair{RunStatus::kOk, std::string_view("ok")}, ...};
//   };
template <typename E>
struct EnumNames;

template <typename E>
concept NamedEnum = std::is_enum_v<E> && requires {
  EnumNames<E>::kNames;
};

// The names of E as messages and the schema list them: `"a" or "b"`,
// `"a", "b" or "c"`.
template <NamedEnum E>
std::string NameList() {
  std::string s;
  const auto& names = EnumNames<E>::kNames;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) s += i + 1 == names.size() ? " or " : ", ";
    s += "\"" + std::string(names[i].second) + "\"";
  }
  return s;
}

// A part of a record: an object with its Fields() list and the fields it
// does not name (and named ones that are null) in `extra`, as written.
template <typename T>
concept RecordPart = requires(T& t) {
  { t.extra } -> std::same_as<Json&>;
};

}  // namespace switchyard::results
