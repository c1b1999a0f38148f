// Number and Nullable<T>: two small value types that let a results record
// (results/run_record.h) be read and written back as the very same JSON.
//
//   - Number: a JSON number as the file writes it. nlohmann::json writes an
//     integer (17727) and a fraction (17727.0, 0.25) differently, and the
//     study writes both (histogram percentiles are integers, rates are not),
//     so a figure remembers which it was rather than becoming a double.
//   - Nullable<T>: a field the schema allows to be null — absent from the
//     record, null in it (the writer knew there was no value: a phase too
//     short for a reward, fewer than two named clients for Jain's index), or
//     a value. Readers treat absent and null alike ("n/a"); the writer keeps
//     them apart.
//
// Thread-safety: plain values.
#pragma once

#include <concepts>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <variant>

namespace switchyard::results {

class Number {
 public:
  Number() = default;  // the integer 0
  template <std::integral T>
  requires(!std::same_as<T, bool>)
      Number(T v) {  // NOLINT(google-explicit-constructor): figures are assigned from counters
    if constexpr (std::is_signed_v<T>) {
      rep_ = static_cast<int64_t>(v);
    } else {
      rep_ = static_cast<uint64_t>(v);
    }
  }
  template <std::floating_point T>
  Number(T v) : rep_(static_cast<double>(v)) {}  // NOLINT(google-explicit-constructor)

  double value() const;
  bool is_integer() const { return !std::holds_alternative<double>(rep_); }

  nlohmann::json ToJson() const;
  // The number `j` holds; nullopt when `j` is not a number.
  static std::optional<Number> FromJson(const nlohmann::json& j);

  bool operator==(const Number&) const = default;

 private:
  // Signed and unsigned apart, as nlohmann keeps them: a counter above
  // INT64_MAX stays exact.
  std::variant<int64_t, uint64_t, double> rep_ = int64_t{0};
};

template <typename T>
class Nullable {
 public:
  using value_type = T;

  Nullable() = default;                                    // absent
  Nullable(T v) : written_(true), value_(std::move(v)) {}  // NOLINT(google-explicit-constructor)
  static Nullable Null() {
    Nullable n;
    n.written_ = true;
    return n;
  }

  bool written() const { return written_; }  // a value or null
  bool is_null() const { return written_ && !value_; }
  bool has_value() const { return value_.has_value(); }
  // The value; nullopt when absent or null.
  const std::optional<T>& value() const { return value_; }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }

  bool operator==(const Nullable&) const = default;

 private:
  bool written_ = false;
  std::optional<T> value_;
};

}  // namespace switchyard::results
