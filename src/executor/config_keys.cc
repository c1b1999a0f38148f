#include "executor/config_keys.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "policy/policy.h"

namespace switchyard {
namespace {

constexpr double kHourMs = 3.6e6;
constexpr unsigned kProcessesOnly = ExecutorBit(ExecutorKind::kProcesses);
constexpr unsigned kAsyncOnly = ExecutorBit(ExecutorKind::kAsync);
constexpr unsigned kEveryDialect = kFlagDialect | kAdminDialect | kCandidateDialect | kStudyDialect;

// ms as the dialects give them -> µs as ExecutorConfig keeps them.
int64_t Micros(double ms) { return std::llround(ms * 1000); }
double Millis(int64_t us) { return static_cast<double>(us) / 1000; }

std::vector<std::string> ExecutorNames() { return {"threads", "processes", "async"}; }
std::vector<std::string> StartMethodNames() { return {"fork", "forkserver", "spawn"}; }
std::vector<std::string> IpcNames() { return {"shm", "pipe"}; }

int64_t Int(const ConfigValue& v) { return std::get<int64_t>(v); }
double Ms(const ConfigValue& v) { return std::get<double>(v); }
const std::string& Text(const ConfigValue& v) { return std::get<std::string>(v); }

// The table. Checked values only reach `set` (SetConfigValue checks first),
// so the setters convert and store.
const std::vector<ConfigKey>& Table() {
  static const std::vector<ConfigKey> table = {
      {.name = "executor",
       .flag = "--executor",
       .study_name = "executors",
       .type = ConfigType::kChoice,
       .choices = ExecutorNames,
       .dialects = kEveryDialect,
       .help = "Concurrency model: threads (N worker threads), processes (N worker processes), async "
               "(coroutines on N event loops)",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.kind = ParseExecutorKind(Text(v)).value(); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return std::string(ExecutorKindName(c.kind)); }},
      {.name = "policy",
       .flag = "--policy",
       .study_name = "policies",
       .type = ConfigType::kChoice,
       .choices = PolicyNames,
       .dialects = kEveryDialect,
       .help = "Scheduling policy of the queue: fifo (arrival order), lifo (newest first), priority (classes "
               "from "
               "the request's priority, FIFO within a class; --priority-levels, --aging-ms), sjf (shortest "
               "predicted service first), mlfq (multi-level feedback queue; --mlfq-quanta-ms), drr (deficit "
               "round robin across clients, X-Client-Id; --drr-quantum-ms)",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.policy = Text(v); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return c.policy; }},
      {.name = "workers",
       .flag = "--workers",
       .study_name = "workers",
       .type = ConfigType::kInt,
       .min = 1,
       .max = 1024,
       .dialects = kEveryDialect,
       .fixed_live = kAsyncOnly,
       .fixed_live_reason =
           "async runs on the server's event loops (--io-threads), which cannot change live: "
           "leave workers out (offload is async's knob)",
       .help = "Worker threads, processes or event loops (default: the number of cores)",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.workers = static_cast<int>(Int(v)); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return int64_t{c.workers}; }},
      {.name = "offload",
       .flag = "--offload",
       .study_name = "offload",
       .type = ConfigType::kInt,
       .min = 0,
       .max = 1024,
       .dialects = kEveryDialect,
       .executors = kAsyncOnly,
       .not_applicable = "only async has offload threads",
       .help = "async: helper threads for cpu work (like asyncio.to_thread); 0 runs it on the event loop, "
               "blocking it",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.offload = static_cast<int>(Int(v)); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return int64_t{c.offload}; }},
      {.name = "start",
       .flag = "--start",
       .study_name = "start",
       .type = ConfigType::kChoice,
       .choices = StartMethodNames,
       .dialects = kEveryDialect,
       .executors = kProcessesOnly,
       .not_applicable = "only processes have a start method",
       .help =
           "processes: how workers start, as Python names it: fork (forked by the server before it starts "
           "any "
           "thread), forkserver (forked on demand by a single-threaded zygote), spawn (a fresh exec of this "
           "binary)",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.start = ParseStartMethod(Text(v)).value(); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return std::string(StartMethodName(c.start)); }},
      {.name = "ipc",
       .flag = "--ipc",
       .study_name = "ipc",
       .type = ConfigType::kChoice,
       .choices = IpcNames,
       .dialects = kFlagDialect | kAdminDialect | kStudyDialect,
       .executors = kProcessesOnly,
       .not_applicable = "only processes cross an IPC",
       .help =
           "processes: how requests and results cross: shm (shared-memory slots, eventfd wake-up) or pipe",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.ipc = ParseIpcKind(Text(v)).value(); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return std::string(IpcKindName(c.ipc)); }},
      {.name = "ipc_spin_us",
       .flag = "--ipc-spin-us",
       .type = ConfigType::kInt,
       .min = 0,
       .max = 100000,
       .auto_minus_one = true,
       .dialects = kFlagDialect,
       .executors = kProcessesOnly,
       .not_applicable = "only processes cross an IPC",
       .help =
           "processes, shm: microseconds to busy-poll for a reply or request before sleeping on the eventfd. "
           "Default: 50 when the machine has a core for every spinner (2 x workers + 2), else 0",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.ipc_spin_us = static_cast<int>(Int(v)); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return int64_t{c.ipc_spin_us}; }},
      {.name = "priority_levels",
       .flag = "--priority-levels",
       .type = ConfigType::kInt,
       .min = 1,
       .max = 1000,
       .dialects = kFlagDialect | kAdminDialect,
       .json_group = "policy_options",
       .help = "priority: classes 1 (most urgent) .. L; a request's priority 0 or none is class L, one above "
               "L is "
               "refused (400)",
       .set = [](ExecutorConfig& c,
                 const ConfigValue& v) { c.policy_options.priority_levels = static_cast<int>(Int(v)); },
       .get = [](const ExecutorConfig& c) -> ConfigValue {
         return int64_t{c.policy_options.priority_levels};
       }},
      {.name = "aging_ms",
       .flag = "--aging-ms",
       .type = ConfigType::kMillis,
       .min = 0,
       .max = kHourMs,
       .dialects = kFlagDialect | kAdminDialect,
       .json_group = "policy_options",
       .help = "priority: a queued request moves up one class per this many ms waited, so no class starves "
               "(default 0: no aging)",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.policy_options.aging_us = Micros(Ms(v)); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return Millis(c.policy_options.aging_us); }},
      {.name = "mlfq_quanta_ms",
       .flag = "--mlfq-quanta-ms",
       .type = ConfigType::kMillisList,
       .min = 0,
       .max = kHourMs,
       .min_exclusive = true,
       .dialects = kFlagDialect | kAdminDialect,
       .json_group = "policy_options",
       .help =
           "mlfq: one quantum per level, top level first (default 2,10,50). Sliceable work (cpu chain, "
           "sleep) "
           "is preempted after its level's quantum and demoted; a model inference is placed by its predicted "
           "time",
       .set =
           [](ExecutorConfig& c, const ConfigValue& v) {
             std::vector<int64_t> quanta;
             for (double ms : std::get<std::vector<double>>(v))
               quanta.push_back(std::max<int64_t>(1, Micros(ms)));
             c.policy_options.mlfq_quanta_us = std::move(quanta);
           },
       .get = [](const ExecutorConfig& c) -> ConfigValue {
         std::vector<double> ms;
         for (int64_t us : c.policy_options.mlfq_quanta_us) ms.push_back(Millis(us));
         return ms;
       }},
      {.name = "mlfq_boost_ms",
       .flag = "--mlfq-boost-ms",
       .type = ConfigType::kMillis,
       .min = 0,
       .max = kHourMs,
       .dialects = kFlagDialect | kAdminDialect,
       .json_group = "policy_options",
       .help = "mlfq: every this many ms all waiting work returns to the top level, so long requests cannot "
               "starve "
               "behind a stream of short ones (default 100; 0: never)",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.policy_options.mlfq_boost_us = Micros(Ms(v)); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return Millis(c.policy_options.mlfq_boost_us); }},
      {.name = "drr_quantum_ms",
       .flag = "--drr-quantum-ms",
       .type = ConfigType::kMillis,
       .min = 0.001,
       .max = kHourMs,
       .dialects = kFlagDialect | kAdminDialect,
       .json_group = "policy_options",
       .help = "drr: service (predicted) credited to each waiting client per round (default 1)",
       .set = [](ExecutorConfig& c,
                 const ConfigValue& v) { c.policy_options.drr_quantum_us = Micros(Ms(v)); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return Millis(c.policy_options.drr_quantum_us); }},
      {.name = "max_queue",
       .flag = "--max-queue",
       .type = ConfigType::kInt,
       .min = 1,
       .max = 1'000'000,
       .dialects = kFlagDialect | kAdminDialect,
       .help = "Requests that may wait for a worker; beyond it /score answers 503 with Retry-After",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.max_queue = static_cast<size_t>(Int(v)); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return static_cast<int64_t>(c.max_queue); }},
      {.name = "max_queue_wait_ms",
       .flag = "--max-queue-wait-ms",
       .type = ConfigType::kMillis,
       .min = 0,
       .max = kHourMs,
       .dialects = kFlagDialect | kAdminDialect,
       .help =
           "Admission control: answer 503 with Retry-After while the predicted wait of a new request (the "
           "queued requests' predicted service over the workers) exceeds this, so that under overload the "
           "requests admitted still meet their latency (default 0: off; only --max-queue bounds the queue)",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.max_queue_wait_us = Micros(Ms(v)); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return Millis(c.max_queue_wait_us); }},
      {.name = "max_batch",
       .flag = "--max-batch",
       .type = ConfigType::kInt,
       .min = 1,
       .max = 4096,
       .auto_minus_one = true,
       .dialects = kFlagDialect | kAdminDialect | kCandidateDialect,
       .help = "Dynamic batching: at most this many rows in one batch of a model that batches "
               "([dynamic_batching] in its config.toml), and never more than its max_batch_size; 1 runs "
               "every request alone. Default -1: each model's max_batch_size",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.max_batch = static_cast<int>(Int(v)); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return int64_t{c.max_batch}; }},
      {.name = "batch_delay_us",
       .flag = "--batch-delay-us",
       .type = ConfigType::kInt,
       .min = 0,
       .max = 1'000'000,
       .auto_minus_one = true,
       .dialects = kFlagDialect | kAdminDialect | kCandidateDialect,
       .help = "Dynamic batching: how long a batch short of a preferred size may wait for more requests, "
               "in microseconds, for every model that batches. Default -1: each model's max_queue_delay_us",
       .set = [](ExecutorConfig& c, const ConfigValue& v) { c.batch_delay_us = Int(v); },
       .get = [](const ExecutorConfig& c) -> ConfigValue { return int64_t{c.batch_delay_us}; }},
  };
  return table;
}

std::string Number(double x) { return fmt::format("{}", x); }

// "from 0 to 3600000", "above 0 and at most 3600000".
std::string RangeText(const ConfigKey& key) {
  if (key.min_exclusive) return fmt::format("above {} and at most {}", Number(key.min), Number(key.max));
  return fmt::format("from {} to {}", Number(key.min), Number(key.max));
}

bool InRange(const ConfigKey& key, double x) {
  return std::isfinite(x) && (key.min_exclusive ? x > key.min : x >= key.min) && x <= key.max;
}

// The mlfq levels a quanta list may have (PolicyOptions::Validate's bound).
constexpr size_t kMaxListItems = 16;

}  // namespace

std::span<const ConfigKey> ConfigKeys() { return Table(); }

const ConfigKey* FindConfigKey(std::string_view name) {
  for (const ConfigKey& key : Table()) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

const ConfigKey& ConfigKeyNamed(std::string_view name) {
  const ConfigKey* key = FindConfigKey(name);
  if (key == nullptr) std::abort();  // a typo in the code: no run would get past it
  return *key;
}

std::string ConfigKeyNames(ConfigDialect dialect) {
  std::string names;
  for (const ConfigKey& key : Table()) {
    if (!key.In(dialect)) continue;
    if (!names.empty()) names += ", ";
    names += key.name;
  }
  return names;
}

Status CheckConfigValue(const ConfigKey& key, const ConfigValue& value) {
  switch (key.type) {
    case ConfigType::kChoice: {
      if (!std::holds_alternative<std::string>(value)) return InvalidArgument("must be a string");
      const std::vector<std::string> choices = key.choices();
      if (std::find(choices.begin(), choices.end(), Text(value)) == choices.end()) {
        return InvalidArgument(fmt::format("unknown {} '{}' (known: {})",
                                           key.name == "start" ? "start method" : key.name, Text(value),
                                           fmt::join(choices, ", ")));
      }
      return Status::Ok();
    }
    case ConfigType::kInt: {
      if (!std::holds_alternative<int64_t>(value)) return InvalidArgument("must be an integer");
      const int64_t v = Int(value);
      if (key.auto_minus_one && v == -1) return Status::Ok();
      if (static_cast<double>(v) < key.min || static_cast<double>(v) > key.max) {
        return InvalidArgument(fmt::format("must be {}between {} and {}, got {}",
                                           key.auto_minus_one ? "-1 (the default) or " : "", Number(key.min),
                                           Number(key.max), v));
      }
      return Status::Ok();
    }
    case ConfigType::kMillis:
      if (!std::holds_alternative<double>(value) || !InRange(key, Ms(value))) {
        return InvalidArgument("must be a number of milliseconds " + RangeText(key));
      }
      return Status::Ok();
    case ConfigType::kMillisList: {
      if (!std::holds_alternative<std::vector<double>>(value)) {
        return InvalidArgument("must be an array of milliseconds");
      }
      const auto& items = std::get<std::vector<double>>(value);
      if (items.empty() || items.size() > kMaxListItems) {
        return InvalidArgument(
            fmt::format("must hold 1 to {} numbers of milliseconds, got {}", kMaxListItems, items.size()));
      }
      for (double ms : items) {
        if (!InRange(key, ms)) {
          return InvalidArgument(
              fmt::format("each item must be a number of milliseconds {} (e.g. 2,10,50), got {}",
                          RangeText(key), Number(ms)));
        }
      }
      return Status::Ok();
    }
  }
  return InvalidArgument("unknown type");
}

Status SetConfigValue(ExecutorConfig& config, const ConfigKey& key, const ConfigValue& value) {
  if (Status s = CheckConfigValue(key, value); !s.ok()) return s;
  key.set(config, value);
  return Status::Ok();
}

Result<ConfigValue> ParseConfigText(const ConfigKey& key, std::string_view text) {
  const std::string s(text);
  auto number = [&](const std::string& item) -> Result<double> {
    char* rest = nullptr;
    const double x = std::strtod(item.c_str(), &rest);
    if (item.empty() || rest == item.c_str() || *rest != '\0' || !std::isfinite(x)) {
      return InvalidArgument("'" + item + "' is not a number");
    }
    return x;
  };
  switch (key.type) {
    case ConfigType::kChoice:
      return ConfigValue(s);
    case ConfigType::kInt: {
      char* rest = nullptr;
      errno = 0;
      const long long v = std::strtoll(s.c_str(), &rest, 10);
      if (s.empty() || rest == s.c_str() || *rest != '\0' || errno == ERANGE) {
        return InvalidArgument("'" + s + "' is not an integer");
      }
      return ConfigValue(int64_t{v});
    }
    case ConfigType::kMillis: {
      auto ms = number(s);
      if (!ms.ok()) return ms.status();
      return ConfigValue(*ms);
    }
    case ConfigType::kMillisList: {
      std::vector<double> items;
      size_t start = 0;
      while (start <= s.size()) {
        size_t end = s.find(',', start);
        if (end == std::string::npos) end = s.size();
        auto ms = number(s.substr(start, end - start));
        if (!ms.ok()) return InvalidArgument(ms.status().message() + " of milliseconds (e.g. 2,10,50)");
        items.push_back(*ms);
        start = end + 1;
      }
      return ConfigValue(std::move(items));
    }
  }
  return InvalidArgument("unknown type");
}

std::vector<std::string> ConfigFlagArgs(const ConfigKey& key, const ConfigValue& value) {
  return {std::string(key.flag), FormatConfigText(key, value)};
}

std::string FormatConfigText(const ConfigKey& key, const ConfigValue& value) {
  switch (key.type) {
    case ConfigType::kChoice:
      return Text(value);
    case ConfigType::kInt:
      return std::to_string(Int(value));
    case ConfigType::kMillis:
      return Number(Ms(value));
    case ConfigType::kMillisList:
      return fmt::format("{}", fmt::join(std::get<std::vector<double>>(value), ","));
  }
  return "";
}

Status CheckConfigRanges(const ExecutorConfig& config) {
  for (const ConfigKey& key : Table()) {
    if (Status s = CheckConfigValue(key, key.get(config)); !s.ok()) {
      return InvalidArgument(std::string(key.name) + " " + s.message());
    }
  }
  return Status::Ok();
}

Status ValidateExecutorConfig(const ExecutorConfig& config) {
  // The knobs' ranges are the table's (config_keys.cc): one statement of them.
  if (Status s = CheckConfigRanges(config); !s.ok()) return s;
  if (config.max_in_flight < 1) return InvalidArgument("max_in_flight must be at least 1");
  auto policy_ok = CreatePolicy(config.policy, config.policy_options);
  if (!policy_ok.ok()) return policy_ok.status();
  return Status::Ok();
}

}  // namespace switchyard
