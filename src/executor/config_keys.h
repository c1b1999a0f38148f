// ConfigKeys: the executor configuration's knobs, declared once.
//
// ExecutorConfig is written in five dialects: serve's flags (--workers 4),
// the POST /admin/config patch and /stats' "config" ({"workers":4}), a
// candidates file ([[candidate]] workers = 4), a study file's [server]
// matrix (workers = [2, 4]), and the serve flags a study or an adaptive study
// starts each server with. Every one of them reads and writes through the
// table below: a knob's name, type, range, the executors it applies to and
// the dialects that take it are stated once, and a value is checked once
// (SetConfigValue). Adding a knob is adding a field to ExecutorConfig and a
// row to the table (config_keys.cc).
//
// Each dialect names a bad value its own way — "field 'workers'" in JSON,
// "FILE:LINE: key 'workers'" in TOML, "--workers" on the command line — so
// the checks here return the problem alone ("must be between 1 and 1024,
// got 0") for the caller to prefix.
//
// The table is immutable: safe to read from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "executor/executor_config.h"

namespace switchyard {

// Where a knob may be given (a bit set of these).
enum ConfigDialect : unsigned {
  kFlagDialect = 1u << 0,       // switchyard serve --workers 4 (and the flags a study starts servers with)
  kAdminDialect = 1u << 1,      // POST /admin/config {"workers":4}; /stats' "config"
  kCandidateDialect = 1u << 2,  // a candidates file: [[candidate]] workers = 4
  kStudyDialect = 1u << 3,      // a study file: [server] workers = [2, 4]
};

enum class ConfigType {
  kChoice,      // one of choices(): a string
  kInt,         // an integer in [min, max]
  kMillis,      // milliseconds, a number in [min, max] (stored as µs)
  kMillisList,  // comma-separated milliseconds (flags) or an array, each in [min, max]
};

// A knob's value as the dialects carry it: kChoice a string, kInt an integer,
// kMillis a number of ms, kMillisList numbers of ms.
using ConfigValue = std::variant<std::string, int64_t, double, std::vector<double>>;

// Executors as a bit set: 1 << ExecutorKind.
inline constexpr unsigned ExecutorBit(ExecutorKind kind) { return 1u << static_cast<unsigned>(kind); }
inline constexpr unsigned kAllExecutors = ExecutorBit(ExecutorKind::kThreads) |
                                          ExecutorBit(ExecutorKind::kProcesses) |
                                          ExecutorBit(ExecutorKind::kAsync);

struct ConfigKey {
  std::string_view name = {};        // JSON and TOML key: "max_queue_wait_ms"
  std::string_view flag = {};        // serve's flag: "--max-queue-wait-ms"
  std::string_view study_name = {};  // the study [server] list's key ("executors"); empty: not a study key
  ConfigType type = ConfigType::kInt;
  double min = 0;  // kInt, kMillis, kMillisList (each item)
  double max = 0;
  // kMillis, kMillisList: whether min itself is refused (a quantum of 0 ms).
  bool min_exclusive = false;
  // kInt: whether -1 means "chosen at start-up" (--ipc-spin-us by cores).
  bool auto_minus_one = false;
  std::vector<std::string> (*choices)() = nullptr;  // kChoice
  unsigned dialects = 0;
  // The executors it means something for: /stats shows it only for these,
  // a study varies it only for these, and a candidate giving it for another
  // is refused with `not_applicable`.
  unsigned executors = kAllExecutors;
  std::string_view not_applicable = {};
  // The executors for which it is fixed when the server starts and cannot
  // be chosen by a configuration switched to live (async's workers are the
  // server's event loops); a candidate giving it is refused with `fixed_live`.
  unsigned fixed_live = 0;
  std::string_view fixed_live_reason = {};
  // Where /stats and /admin/config nest it: "" at the top, or "policy_options".
  std::string_view json_group = {};
  std::string_view help = {};  // serve --help
  void (*set)(ExecutorConfig& config, const ConfigValue& value) = nullptr;
  ConfigValue (*get)(const ExecutorConfig& config) = nullptr;

  bool In(ConfigDialect dialect) const { return (dialects & dialect) != 0; }
  bool AppliesTo(ExecutorKind kind) const { return (executors & ExecutorBit(kind)) != 0; }
  bool FixedLive(ExecutorKind kind) const { return (fixed_live & ExecutorBit(kind)) != 0; }
};

// Every knob, in the order --help and /stats list them.
std::span<const ConfigKey> ConfigKeys();
// The knob named `name` (JSON/TOML name), or null.
const ConfigKey* FindConfigKey(std::string_view name);
// The knob `name`; for the table's own users, who name knobs that exist.
const ConfigKey& ConfigKeyNamed(std::string_view name);
// The names of the knobs `dialect` takes, comma-separated (for messages).
std::string ConfigKeyNames(ConfigDialect dialect);

// InvalidArgument saying what is wrong with `value` for `key` (wrong type,
// out of range, not a choice), without naming the key.
Status CheckConfigValue(const ConfigKey& key, const ConfigValue& value);
// CheckConfigValue, then stores `value` in `config`.
Status SetConfigValue(ExecutorConfig& config, const ConfigKey& key, const ConfigValue& value);

// A flag's text ("4", "fifo", "2,10,50", "0.5") as the key's value; the
// value is not range-checked yet (SetConfigValue does).
Result<ConfigValue> ParseConfigText(const ConfigKey& key, std::string_view text);
// The text ParseConfigText reads back as `value`.
std::string FormatConfigText(const ConfigKey& key, const ConfigValue& value);
// serve's arguments that set `key` to `value`: {"--workers", "4"}.
std::vector<std::string> ConfigFlagArgs(const ConfigKey& key, const ConfigValue& value);

// Checks every knob of `config` against the table (ipc_spin_us may still
// be auto).
Status CheckConfigRanges(const ExecutorConfig& config);

// A whole configuration, checked once, whichever dialect it came from: every
// knob in range, the policy known and its options valid. InvalidArgument
// naming the knob and the problem.
Status ValidateExecutorConfig(const ExecutorConfig& config);

}  // namespace switchyard
