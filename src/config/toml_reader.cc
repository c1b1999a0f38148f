#include "config/toml_reader.h"

#include <fstream>
#include <sstream>

#include "core/duration.h"

namespace switchyard {

std::string TomlTable::Where(const toml::node* node) const {
  const toml::source_region& src = node != nullptr ? node->source() : table_->source();
  return *file_ + ":" + std::to_string(src.begin.line);
}

Status TomlTable::Error(std::string_view key, const std::string& message) const {
  return InvalidArgument(Where(Get(key)) + ": " + context_ + ": key '" + std::string(key) + "': " + message);
}

Status TomlTable::CheckKeys(std::initializer_list<std::string_view> allowed) const {
  return CheckKeys(std::span<const std::string_view>(allowed.begin(), allowed.size()));
}

Status TomlTable::CheckKeys(std::span<const std::string_view> allowed) const {
  for (auto&& [key, node] : *table_) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key.str() == a;
    if (!known) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return InvalidArgument(*file_ + ":" + std::to_string(key.source().begin.line) + ": " + context_ +
                             ": unknown key '" + std::string(key.str()) + "' (known: " + list + ")");
    }
  }
  return Status::Ok();
}

Result<std::string> TomlTable::String(std::string_view key) const {
  auto v = OptString(key);
  if (!v.ok()) return v.status();
  if (!*v) return Error(key, "missing (a string is required)");
  return **v;
}

Result<std::optional<std::string>> TomlTable::OptString(std::string_view key) const {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::optional<std::string>();
  if (!n->is_string()) return Error(key, "must be a string");
  return std::optional<std::string>(n->as_string()->get());
}

Result<std::optional<int64_t>> TomlTable::OptInt(std::string_view key, int64_t min, int64_t max) const {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::optional<int64_t>();
  if (!n->is_integer()) return Error(key, "must be an integer");
  int64_t v = n->as_integer()->get();
  if (v < min || v > max) {
    return Error(key, std::to_string(v) + " is out of range [" + std::to_string(min) + ", " +
                          std::to_string(max) + "]");
  }
  return std::optional<int64_t>(v);
}

Result<std::optional<double>> TomlTable::OptNumber(std::string_view key, bool positive) const {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::optional<double>();
  double v;
  if (n->is_integer()) {
    v = static_cast<double>(n->as_integer()->get());
  } else if (n->is_floating_point()) {
    v = n->as_floating_point()->get();
  } else {
    return Error(key, "must be a number");
  }
  if (!(positive ? v > 0 : v >= 0) || v > 1e12) {
    std::ostringstream s;
    s << v << " is not " << (positive ? "a positive number" : "a non-negative number");
    return Error(key, s.str());
  }
  return std::optional<double>(v);
}

Result<std::optional<int64_t>> TomlTable::OptDurationUs(std::string_view key) const {
  auto s = OptString(key);
  if (!s.ok()) return Error(key, "must be a duration string such as \"20s\" or \"500ms\"");
  if (!*s) return std::optional<int64_t>();
  auto us = ParseDurationUs(**s);
  if (!us.ok()) return Error(key, us.status().message());
  if (*us <= 0) return Error(key, "must be longer than zero");
  return std::optional<int64_t>(*us);
}

namespace {

// Applies `one` to a single value or to each element of an array.
template <typename T, typename F>
Result<std::optional<std::vector<T>>> ListOf(const toml::node* n, F one) {
  std::vector<T> out;
  if (n == nullptr) return std::optional<std::vector<T>>();
  if (const toml::array* a = n->as_array()) {
    for (const toml::node& e : *a) {
      auto v = one(e);
      if (!v.ok()) return v.status();
      out.push_back(std::move(v).value());
    }
  } else {
    auto v = one(*n);
    if (!v.ok()) return v.status();
    out.push_back(std::move(v).value());
  }
  return std::optional<std::vector<T>>(std::move(out));
}

}  // namespace

Result<std::optional<std::vector<std::string>>> TomlTable::OptStringList(std::string_view key,
                                                                         bool allow_empty) const {
  auto list = ListOf<std::string>(Get(key), [&](const toml::node& e) -> Result<std::string> {
    if (!e.is_string()) return Error(key, "must be a string or a list of strings");
    return e.as_string()->get();
  });
  if (!allow_empty && list.ok() && *list && (*list)->empty()) return Error(key, "the list is empty");
  return list;
}

Result<std::optional<std::vector<int64_t>>> TomlTable::OptIntList(std::string_view key, int64_t min,
                                                                  int64_t max) const {
  auto list = ListOf<int64_t>(Get(key), [&](const toml::node& e) -> Result<int64_t> {
    if (!e.is_integer()) return Error(key, "must be an integer or a list of integers");
    int64_t v = e.as_integer()->get();
    if (v < min || v > max) {
      return Error(key, std::to_string(v) + " is out of range [" + std::to_string(min) + ", " +
                            std::to_string(max) + "]");
    }
    return v;
  });
  if (list.ok() && *list && (*list)->empty()) return Error(key, "the list is empty");
  return list;
}

Result<std::optional<std::vector<double>>> TomlTable::OptNumberList(std::string_view key,
                                                                    bool positive) const {
  auto list = ListOf<double>(Get(key), [&](const toml::node& e) -> Result<double> {
    double v;
    if (e.is_integer()) {
      v = static_cast<double>(e.as_integer()->get());
    } else if (e.is_floating_point()) {
      v = e.as_floating_point()->get();
    } else {
      return Error(key, "must be a number or a list of numbers");
    }
    if (!(positive ? v > 0 : v >= 0) || v > 1e12) {
      std::ostringstream s;
      s << v << " is not " << (positive ? "a positive number" : "a non-negative number");
      return Error(key, s.str());
    }
    return v;
  });
  if (list.ok() && *list && (*list)->empty()) return Error(key, "the list is empty");
  return list;
}

Result<std::vector<TomlTable>> TomlTable::Tables(std::string_view key) const {
  std::vector<TomlTable> out;
  const toml::node* n = Get(key);
  if (n == nullptr) return out;
  const toml::array* a = n->as_array();
  if (a == nullptr || !a->is_array_of_tables())
    return Error(key, "must be an array of tables ([[" + std::string(key) + "]])");
  int i = 0;
  for (const toml::node& e : *a)
    out.emplace_back(*e.as_table(), file_, std::string(key) + " " + std::to_string(++i));
  return out;
}

Result<std::optional<TomlTable>> TomlTable::Table(std::string_view key) const {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::optional<TomlTable>();
  if (!n->is_table()) return Error(key, "must be a table ([" + std::string(key) + "])");
  return std::optional<TomlTable>(TomlTable(*n->as_table(), file_, std::string(key)));
}

std::string TomlTable::ToJson() const {
  std::ostringstream out;
  out << toml::json_formatter{*table_, toml::format_flags::none};
  return out.str();
}

Result<std::unique_ptr<TomlDocument>> TomlDocument::Parse(std::string_view text, const std::string& name) {
  try {
    toml::table table = toml::parse(text, name);
    return std::unique_ptr<TomlDocument>(new TomlDocument(std::move(table), name));
  } catch (const toml::parse_error& e) {
    return InvalidArgument(name + ":" + std::to_string(e.source().begin.line) + ":" +
                           std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
  }
}

Result<std::unique_ptr<TomlDocument>> TomlDocument::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

}  // namespace switchyard
