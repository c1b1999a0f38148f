#include "cli/config_flags.h"

#include <fmt/format.h>

namespace switchyard {
namespace {

// What --help shows as the value's form.
std::string TypeName(const ConfigKey& key) {
  switch (key.type) {
    case ConfigType::kChoice:
      return fmt::format("{{{}}}", fmt::join(key.choices(), ","));
    case ConfigType::kInt:
      return key.auto_minus_one ? fmt::format("INT: -1 or [{} - {}]", key.min, key.max)
                                : fmt::format("INT in [{} - {}]", key.min, key.max);
    case ConfigType::kMillis:
      return "MS";
    case ConfigType::kMillisList:
      return "MS,MS,...";
  }
  return "VALUE";
}

// The value of `text` for `key`, checked; the problem otherwise.
Result<ConfigValue> Checked(const ConfigKey& key, const std::string& text) {
  auto value = ParseConfigText(key, text);
  if (!value.ok()) return value.status();
  if (Status s = CheckConfigValue(key, *value); !s.ok()) return s;
  return value;
}

}  // namespace

bool IsPolicyKey(const ConfigKey& key) { return key.name == "policy" || key.json_group == "policy_options"; }

void AddConfigFlags(CLI::App& app, ExecutorConfig& config,
                    const std::function<bool(const ConfigKey&)>& which) {
  for (const ConfigKey& key : ConfigKeys()) {
    if (!key.In(kFlagDialect) || (which && !which(key))) continue;
    CLI::Option* option = app.add_option_function<std::string>(
        std::string(key.flag),
        [&config, &key](const std::string& text) {
          auto value = Checked(key, text);
          if (!value.ok()) throw CLI::ValidationError(std::string(key.flag), value.status().message());
          key.set(config, *value);
        },
        std::string(key.help));
    option->type_name(TypeName(key));
    // Checked while parsing too, so a bad value is named before anything runs.
    option->check([&key](const std::string& text) {
      auto value = Checked(key, text);
      return value.ok() ? std::string() : value.status().message();
    });
    // -1 is "chosen at start-up" (ipc_spin_us): no default to show.
    const ConfigValue now = key.get(config);
    if (!(key.auto_minus_one && now == ConfigValue(int64_t{-1})))
      option->default_str(FormatConfigText(key, now));
  }
}

}  // namespace switchyard
