// TomlReader: reads TOML files of a known shape (phases, studies) and reports
// every problem before anything runs, as "FILE:LINE: key 'K': what is wrong".
//
// A TomlTable is a view on one table of a parsed document: it checks that
// only known keys are present and reads typed values with range checks. The
// document must outlive its views. Not thread-safe; cheap to copy.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace switchyard {

class TomlTable {
 public:
  TomlTable(const toml::table& table, std::shared_ptr<const std::string> file, std::string context)
      : table_(&table), file_(std::move(file)), context_(std::move(context)) {}

  // InvalidArgument naming the first key not in `allowed`, and listing them.
  Status CheckKeys(std::initializer_list<std::string_view> allowed) const;
  Status CheckKeys(std::span<const std::string_view> allowed) const;

  bool Has(std::string_view key) const { return table_->contains(key); }

  Result<std::string> String(std::string_view key) const;  // required
  Result<std::optional<std::string>> OptString(std::string_view key) const;
  // Integers in [min, max].
  Result<std::optional<int64_t>> OptInt(std::string_view key, int64_t min, int64_t max) const;
  // Integer or float, > 0 when `positive`, else >= 0.
  Result<std::optional<double>> OptNumber(std::string_view key, bool positive) const;
  // A string duration ("20s"); must be > 0.
  Result<std::optional<int64_t>> OptDurationUs(std::string_view key) const;
  // A list of strings, or a single string taken as a list of one; an empty
  // list is an error unless `allow_empty` (e.g. extra flags: none).
  Result<std::optional<std::vector<std::string>>> OptStringList(std::string_view key,
                                                                bool allow_empty = false) const;
  // A list of integers in [min, max], or a single integer.
  Result<std::optional<std::vector<int64_t>>> OptIntList(std::string_view key, int64_t min,
                                                         int64_t max) const;
  // A list of numbers > 0 (or >= 0), or a single number.
  Result<std::optional<std::vector<double>>> OptNumberList(std::string_view key, bool positive) const;
  // An array of tables ([[key]]); empty when absent. Each view's context is
  // "<key> N" (1-based).
  Result<std::vector<TomlTable>> Tables(std::string_view key) const;
  // A sub-table ([key]); nullopt when absent.
  Result<std::optional<TomlTable>> Table(std::string_view key) const;
  // The whole table as a JSON object (strings, numbers, booleans, arrays,
  // tables; dates as strings): for tables whose keys are the user's own,
  // handed on unread (a Python model's [parameters]).
  std::string ToJson() const;

  // "FILE:LINE: <context>: key 'K': message" (LINE of the key's value, or of
  // the table when the key is absent).
  Status Error(std::string_view key, const std::string& message) const;
  const std::string& file() const { return *file_; }

 private:
  const toml::node* Get(std::string_view key) const { return table_->get(key); }
  std::string Where(const toml::node* node) const;

  const toml::table* table_;
  std::shared_ptr<const std::string> file_;
  std::string context_;
};

// A parsed TOML document and the view on its root table.
class TomlDocument {
 public:
  // Reads and parses `path`; a syntax error reads "FILE:LINE:COL: ...".
  static Result<std::unique_ptr<TomlDocument>> Load(const std::string& path);
  // Parses `text` as if read from `name` (tests, embedded defaults).
  static Result<std::unique_ptr<TomlDocument>> Parse(std::string_view text, const std::string& name);

  TomlTable root() const { return TomlTable(table_, file_, "top level"); }

 private:
  TomlDocument(toml::table table, std::string file)
      : table_(std::move(table)), file_(std::make_shared<const std::string>(std::move(file))) {}
  toml::table table_;
  std::shared_ptr<const std::string> file_;
};

}  // namespace switchyard
