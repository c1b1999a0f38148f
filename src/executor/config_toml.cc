#include "executor/config_toml.h"

#include <limits>

namespace switchyard {
namespace {

constexpr int64_t kAnyMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kAnyMax = std::numeric_limits<int64_t>::max();

// Every value of a list, or the value, as ConfigValues of `key`'s type;
// TOML's own type errors come back from the reader.
Result<std::optional<std::vector<ConfigValue>>> ReadRaw(const TomlTable& t, const ConfigKey& key,
                                                        std::string_view toml_key, bool list) {
  std::vector<ConfigValue> values;
  switch (key.type) {
    case ConfigType::kChoice: {
      if (list) {
        auto v = t.OptStringList(toml_key);
        if (!v.ok()) return v.status();
        if (!*v) return std::optional<std::vector<ConfigValue>>();
        for (std::string& s : **v) values.emplace_back(std::move(s));
      } else {
        auto v = t.OptString(toml_key);
        if (!v.ok()) return v.status();
        if (!*v) return std::optional<std::vector<ConfigValue>>();
        values.emplace_back(std::move(**v));
      }
      break;
    }
    case ConfigType::kInt: {
      if (list) {
        auto v = t.OptIntList(toml_key, kAnyMin, kAnyMax);
        if (!v.ok()) return v.status();
        if (!*v) return std::optional<std::vector<ConfigValue>>();
        for (int64_t i : **v) values.emplace_back(i);
      } else {
        auto v = t.OptInt(toml_key, kAnyMin, kAnyMax);
        if (!v.ok()) return v.status();
        if (!*v) return std::optional<std::vector<ConfigValue>>();
        values.emplace_back(**v);
      }
      break;
    }
    case ConfigType::kMillis: {
      auto v = t.OptNumberList(toml_key, /*positive=*/false);
      if (!v.ok()) return v.status();
      if (!*v) return std::optional<std::vector<ConfigValue>>();
      if (!list && (*v)->size() != 1) return t.Error(toml_key, "must be one number of milliseconds");
      for (double ms : **v) values.emplace_back(ms);
      break;
    }
    case ConfigType::kMillisList: {
      if (list) return t.Error(toml_key, "a list of lists of milliseconds is not supported");
      auto v = t.OptNumberList(toml_key, /*positive=*/false);
      if (!v.ok()) return v.status();
      if (!*v) return std::optional<std::vector<ConfigValue>>();
      values.emplace_back(std::move(**v));
      break;
    }
  }
  for (const ConfigValue& v : values) {
    if (Status s = CheckConfigValue(key, v); !s.ok()) return t.Error(toml_key, s.message());
  }
  return std::optional<std::vector<ConfigValue>>(std::move(values));
}

}  // namespace

Result<std::optional<ConfigValue>> ReadConfigValue(const TomlTable& table, const ConfigKey& key) {
  auto values = ReadRaw(table, key, key.name, /*list=*/false);
  if (!values.ok()) return values.status();
  if (!*values) return std::optional<ConfigValue>();
  return std::optional<ConfigValue>(std::move((**values)[0]));
}

Result<std::optional<std::vector<ConfigValue>>> ReadConfigList(const TomlTable& table, const ConfigKey& key,
                                                               std::string_view toml_key) {
  return ReadRaw(table, key, toml_key, /*list=*/true);
}

}  // namespace switchyard
