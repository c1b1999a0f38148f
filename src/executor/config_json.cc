#include "executor/config_json.h"

#include <algorithm>

#include "executor/config_keys.h"

namespace switchyard {
namespace {

using nlohmann::json;

// The JSON value as `key`'s type; a value of another JSON type is passed on
// as whatever fits it, for CheckConfigValue to refuse with the right words.
ConfigValue FromJson(const ConfigKey& key, const json& value) {
  switch (key.type) {
    case ConfigType::kChoice:
      if (value.is_string()) return value.get<std::string>();
      break;
    case ConfigType::kInt:
      if (value.is_number_integer()) return value.get<int64_t>();
      break;
    case ConfigType::kMillis:
      if (value.is_number()) return value.get<double>();
      break;
    case ConfigType::kMillisList:
      if (value.is_array() &&
          std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_number(); })) {
        std::vector<double> items;
        for (const json& item : value) items.push_back(item.get<double>());
        return items;
      }
      break;
  }
  // The wrong JSON type: a value of another alternative.
  if (key.type == ConfigType::kChoice) return int64_t{0};
  return std::string();
}

json ToJson(const ConfigValue& value) {
  return std::visit([](const auto& v) { return json(v); }, value);
}

}  // namespace

Status ApplyConfigPatch(const json& patch, ExecutorConfig& config) {
  if (!patch.is_object()) return InvalidArgument("body must be a JSON object");
  for (const auto& [name, value] : patch.items()) {
    const ConfigKey* key = FindConfigKey(name);
    if (key == nullptr || !key->In(kAdminDialect)) {
      return InvalidArgument("unknown field '" + name + "' (known: " + ConfigKeyNames(kAdminDialect) + ")");
    }
    if (Status s = SetConfigValue(config, *key, FromJson(*key, value)); !s.ok()) {
      return InvalidArgument("field '" + name + "': " + s.message());
    }
  }
  return ValidateExecutorConfig(config);
}

json ConfigJson(const ExecutorConfig& config) {
  json j = json::object();
  for (const ConfigKey& key : ConfigKeys()) {
    if (!key.In(kAdminDialect) || !key.AppliesTo(config.kind)) continue;
    json& group = key.json_group.empty() ? j : j[std::string(key.json_group)];
    group[std::string(key.name)] = ToJson(key.get(config));
  }
  return j;
}

}  // namespace switchyard
