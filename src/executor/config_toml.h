// The executor configuration's knobs in TOML files: a candidates file's
// [[candidate]] tables (one value per knob) and a study file's [server]
// matrix (a list of values per knob). Both read through the knob table
// (executor/config_keys.h), so a value is checked as everywhere else and a
// problem reads "FILE:LINE: <table>: key 'K': what is wrong".
//
// Pure functions over views of a parsed document: thread-safe as TomlTable.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "config/toml_reader.h"
#include "executor/config_keys.h"

namespace switchyard {

// `key`'s value in `table` under its own name (nullopt when absent),
// checked (CheckConfigValue).
Result<std::optional<ConfigValue>> ReadConfigValue(const TomlTable& table, const ConfigKey& key);

// `key`'s values in `table` under `toml_key` (the study's plural names:
// "executors", "policies"), a list or one value as a list of one; each
// checked. nullopt when absent.
Result<std::optional<std::vector<ConfigValue>>> ReadConfigList(const TomlTable& table, const ConfigKey& key,
                                                               std::string_view toml_key);

}  // namespace switchyard
