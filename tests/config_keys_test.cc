// The executor configuration's knob table and its dialects: flags, the
// admin JSON, candidates and study TOML all read the same knobs the same way.
#include "executor/config_keys.h"

#include <gtest/gtest.h>

#include <set>

#include "config/toml_reader.h"
#include "executor/config_json.h"
#include "executor/config_toml.h"

namespace switchyard {
namespace {

TEST(ConfigKeysTest, EveryKnobIsNamedOnceAndHasItsFlag) {
  std::set<std::string_view> names, flags;
  for (const ConfigKey& key : ConfigKeys()) {
    EXPECT_TRUE(names.insert(key.name).second) << key.name;
    EXPECT_TRUE(flags.insert(key.flag).second) << key.flag;
    EXPECT_EQ(key.flag.substr(0, 2), "--") << key.name;
    EXPECT_NE(key.dialects, 0u) << key.name;
    EXPECT_FALSE(key.help.empty()) << key.name;
    EXPECT_EQ(FindConfigKey(key.name), &key);
    EXPECT_EQ(key.In(kStudyDialect), !key.study_name.empty()) << key.name;
    EXPECT_EQ(key.executors != kAllExecutors, !key.not_applicable.empty()) << key.name;
    EXPECT_EQ(key.fixed_live != 0, !key.fixed_live_reason.empty()) << key.name;
  }
  EXPECT_EQ(FindConfigKey("wrokers"), nullptr);
}

TEST(ConfigKeysTest, TheDefaultsAreInRangeAndEveryValueRoundTripsThroughItsText) {
  const ExecutorConfig defaults;
  EXPECT_TRUE(CheckConfigRanges(defaults).ok());
  EXPECT_TRUE(ValidateExecutorConfig(defaults).ok());
  for (const ConfigKey& key : ConfigKeys()) {
    const ConfigValue value = key.get(defaults);
    const std::string text = FormatConfigText(key, value);
    auto back = ParseConfigText(key, text);
    ASSERT_TRUE(back.ok()) << key.name << " " << text;
    EXPECT_EQ(*back, value) << key.name << " " << text;
    ExecutorConfig copy;
    ASSERT_TRUE(SetConfigValue(copy, key, *back).ok()) << key.name;
    EXPECT_EQ(key.get(copy), value) << key.name;
  }
}

TEST(ConfigKeysTest, ValuesAreCheckedAgainstTheTable) {
  const ConfigKey& workers = ConfigKeyNamed("workers");
  EXPECT_TRUE(CheckConfigValue(workers, int64_t{4}).ok());
  EXPECT_NE(CheckConfigValue(workers, int64_t{0}).message().find("between 1 and 1024"), std::string::npos);
  EXPECT_NE(CheckConfigValue(workers, std::string("two")).message().find("integer"), std::string::npos);
  EXPECT_NE(
      CheckConfigValue(ConfigKeyNamed("executor"), std::string("fibers")).message().find("unknown executor"),
      std::string::npos);
  EXPECT_NE(
      CheckConfigValue(ConfigKeyNamed("start"), std::string("vfork")).message().find("unknown start method"),
      std::string::npos);
  const ConfigKey& quanta = ConfigKeyNamed("mlfq_quanta_ms");
  EXPECT_TRUE(CheckConfigValue(quanta, std::vector<double>{0.5, 1}).ok());
  EXPECT_FALSE(CheckConfigValue(quanta, std::vector<double>{2, 0, 5}).ok());
  EXPECT_FALSE(CheckConfigValue(quanta, std::vector<double>{}).ok());
  EXPECT_FALSE(CheckConfigValue(quanta, std::vector<double>(17, 1.0)).ok());
  EXPECT_FALSE(ParseConfigText(quanta, "fast").ok());
  EXPECT_FALSE(ParseConfigText(workers, "2x").ok());
  const ConfigKey& spin = ConfigKeyNamed("ipc_spin_us");
  EXPECT_TRUE(CheckConfigValue(spin, int64_t{-1}).ok());  // auto
  EXPECT_FALSE(CheckConfigValue(spin, int64_t{-2}).ok());
  EXPECT_FALSE(CheckConfigValue(ConfigKeyNamed("drr_quantum_ms"), 0.0).ok());
}

TEST(ConfigKeysTest, TheAdminJsonRoundTripsAndNamesTheField) {
  ExecutorConfig c;
  c.kind = ExecutorKind::kProcesses;
  c.workers = 3;
  c.policy = "mlfq";
  c.policy_options.mlfq_quanta_us = {500, 4000};
  c.max_queue_wait_us = 2500;
  const nlohmann::json j = ConfigJson(c);
  EXPECT_EQ(j["executor"], "processes");
  EXPECT_EQ(j["start"], "forkserver");  // processes' knobs shown for processes only
  EXPECT_FALSE(j.contains("offload"));
  EXPECT_FALSE(j.contains("ipc_spin_us"));  // a flag, not an admin knob
  EXPECT_EQ(j["policy_options"]["mlfq_quanta_ms"], nlohmann::json::array({0.5, 4.0}));
  EXPECT_DOUBLE_EQ(j["max_queue_wait_ms"].get<double>(), 2.5);
  ExecutorConfig back;
  nlohmann::json patch = j;
  const nlohmann::json options = patch["policy_options"];
  patch.erase("policy_options");
  for (const auto& [k, v] : options.items()) patch[k] = v;
  ASSERT_TRUE(ApplyConfigPatch(patch, back).ok());
  EXPECT_EQ(ConfigJson(back), j);

  ExecutorConfig untouched;
  EXPECT_NE(ApplyConfigPatch(nlohmann::json{{"workers", 0}}, untouched).message().find("field 'workers'"),
            std::string::npos);
  EXPECT_NE(ApplyConfigPatch(nlohmann::json{{"ipc_spin_us", 5}}, untouched).message().find("unknown field"),
            std::string::npos);
  EXPECT_NE(ApplyConfigPatch(nlohmann::json::array(), untouched).message().find("JSON object"),
            std::string::npos);
  EXPECT_NE(ApplyConfigPatch(nlohmann::json{{"mlfq_quanta_ms", {1, "a"}}}, untouched).message().find("array"),
            std::string::npos);
}

TEST(ConfigKeysTest, TomlValuesAndListsAreCheckedWithFileAndLine) {
  auto doc = TomlDocument::Parse("workers = 0\npolicies = [\"fifo\", \"lottery\"]\noffload = 2\n", "f.toml");
  ASSERT_TRUE(doc.ok());
  const TomlTable t = (*doc)->root();
  auto workers = ReadConfigValue(t, ConfigKeyNamed("workers"));
  ASSERT_FALSE(workers.ok());
  EXPECT_NE(workers.status().message().find("f.toml:1"), std::string::npos) << workers.status().message();
  auto policies = ReadConfigList(t, ConfigKeyNamed("policy"), "policies");
  ASSERT_FALSE(policies.ok());
  EXPECT_NE(policies.status().message().find("lottery"), std::string::npos);
  auto offload = ReadConfigList(t, ConfigKeyNamed("offload"), "offload");
  ASSERT_TRUE(offload.ok());
  EXPECT_EQ(**offload, std::vector<ConfigValue>{int64_t{2}});
  auto absent = ReadConfigValue(t, ConfigKeyNamed("start"));
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
}

TEST(ConfigKeysTest, FlagsNameTheTablesFlag) {
  EXPECT_EQ(ConfigFlagArgs(ConfigKeyNamed("workers"), int64_t{4}),
            (std::vector<std::string>{"--workers", "4"}));
  EXPECT_EQ(ConfigFlagArgs(ConfigKeyNamed("mlfq_quanta_ms"), std::vector<double>{2, 10, 50}),
            (std::vector<std::string>{"--mlfq-quanta-ms", "2,10,50"}));
  EXPECT_EQ(ConfigKeyNames(kCandidateDialect),
            "executor, policy, workers, offload, start, max_batch, batch_delay_us");
}

}  // namespace
}  // namespace switchyard
